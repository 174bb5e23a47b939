package glm3.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import glm3.client.Options.UsageException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flags of glm3-stream: the Go client's, with one dash or two. */
class OptionsTest {
  private static Options parse(String... args) throws UsageException {
    return Options.parse(List.of(args), Map.of());
  }

  @Test
  void defaultsAreTheGoClients() throws UsageException {
    Options o = parse();
    assertEquals("127.0.0.1:50051", o.target);
    assertEquals(100, o.frame);
    assertEquals(300_000, o.timeoutMillis);
    assertEquals("-", o.input);
    assertFalse(o.tls);
    assertEquals("", o.token);
  }

  @Test
  void flagsTakeOneDashOrTwoAndAValueAfterASpaceOrAnEqualsSign() throws UsageException {
    Options o = parse("-target", "localhost:1", "--frame=10", "--timeout", "1m30s", "signals.jsonl");
    assertEquals("localhost:1", o.target);
    assertEquals(10, o.frame);
    assertEquals(90_000, o.timeoutMillis);
    assertEquals("signals.jsonl", o.input);
    assertEquals("x.jsonl", parse("x.jsonl", "--frame", "5").input); // flags after the file too
    assertEquals("--frame", parse("--", "--frame").input);
  }

  @Test
  void securityFlagsImplyTls() throws UsageException {
    assertTrue(parse("--tls").tls);
    assertFalse(parse("--tls=false").tls);
    assertTrue(parse("--ca", "ca.pem").tls);
    assertTrue(parse("-server-name", "scoring.internal").tls);
    Options o = parse("--cert", "c.pem", "--key", "c.key");
    assertTrue(o.tls);
    assertEquals("c.pem", o.certFile);
    assertEquals("c.key", o.keyFile);
    assertNull(o.caFile);
  }

  @Test
  void badUsageIsRefusedWithTheGoClientsMessages() {
    assertMessage("--frame must be 1 to 1000, got 1001", "--frame", "1001");
    assertMessage("--frame must be 1 to 1000, got 0", "-frame=0");
    assertMessage("--frame must be 1 to 1000, got many", "--frame", "many");
    assertMessage("at most one input file", "a.jsonl", "b.jsonl");
    assertMessage("--cert and --key go together: give both or neither", "--cert", "c.pem");
    assertMessage("--cert and --key go together: give both or neither", "--key", "c.key");
    assertMessage("--timeout must be positive", "--timeout", "0s");
    assertMessage("--timeout must be a duration such as 30s or 5m, got 10", "--timeout", "10");
    assertMessage("flag provided but not defined: --nope", "--nope");
    assertMessage("flag needs an argument: --target", "--target");
  }

  @Test
  void theTokenComesFromTheFlagElseTheEnvironmentAndMustBeOnePrintableLine() throws UsageException {
    assertEquals("t0k", Options.parse(List.of(), Map.of("GLM3_TOKEN", "t0k")).token);
    assertEquals("flag", Options.parse(List.of("--token", "flag"), Map.of("GLM3_TOKEN", "env")).token);
    assertEquals("", Options.parse(List.of("--token", ""), Map.of("GLM3_TOKEN", "env")).token);

    UsageException e = assertThrows(UsageException.class,
        () -> Options.parse(List.of(), Map.of("GLM3_TOKEN", "secret-from-a-file\n")));
    assertEquals("GLM3_TOKEN must be one line: it contains a line break", e.getMessage());
    e = assertThrows(UsageException.class, () -> parse("--token", "secret\u00e9"));
    assertEquals("--token must be printable ASCII", e.getMessage());
  }

  @Test
  void durationsAreWrittenAsGoWritesThem() throws UsageException {
    assertEquals(500, Options.parseDurationMillis("500ms"));
    assertEquals(30_000, Options.parseDurationMillis("30s"));
    assertEquals(5_400_000, Options.parseDurationMillis("1h30m"));
    assertEquals(1_500, Options.parseDurationMillis("1.5s"));
    assertThrows(UsageException.class, () -> Options.parseDurationMillis("5 m"));
    assertThrows(UsageException.class, () -> Options.parseDurationMillis("m"));
  }

  @Test
  void helpAsksForTheUsage() throws UsageException {
    assertTrue(parse("-h").help);
    assertTrue(parse("--help").help);
  }

  private static void assertMessage(String expected, String... args) {
    UsageException e = assertThrows(UsageException.class, () -> parse(args));
    assertEquals(expected, e.getMessage());
  }
}
