"""The Python client library and the glm3 command line."""
