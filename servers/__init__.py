"""GLM3 Signal Services servers: the scoring server, the ops server, and what they share."""
