package glm3.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import glm3.scoring.v1.SignalOuterClass.Signal;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** The input: the seed's JSON, parsed with JsonFormat into Signal. */
class SignalsTest {
  static final String SEED_SIGNAL = "{\"id\": \"sig-0001\", \"timestamp\": \"2024-05-01T09:30:00Z\", "
      + "\"source\": \"reddit\", \"source_url\": null, \"title\": \"I hate reconciling invoices by hand\", "
      + "\"description\": \"Every month our small business wastes hours matching payments.\", "
      + "\"category\": null, \"tags\": [\"invoicing\", \"smb\"], \"engagement\": {\"upvotes\": 41, "
      + "\"comments\": 1}, \"author\": null, \"extracted_at\": \"2024-05-01T09:31:02.123456Z\", "
      + "\"raw_content\": null, \"comments\": null}";

  @Test
  void theSeedsJsonWithSnakeCaseNamesAndNullsParses() throws InvalidProtocolBufferException {
    Signal signal = Signals.parse(SEED_SIGNAL);
    assertEquals("sig-0001", signal.getId());
    assertEquals("reddit", signal.getSource());
    assertEquals("", signal.getSourceUrl());
    assertEquals(41, signal.getEngagementOrThrow("upvotes"));
    assertEquals(2, signal.getTagsCount());
    assertEquals(0, signal.getCommentsCount());
    assertEquals(1714555800, signal.getTimestamp().getSeconds());
    assertEquals(123456000, signal.getExtractedAt().getNanos());
  }

  @Test
  void unknownFieldsAndBrokenJsonAreNotSignals() {
    assertThrows(InvalidProtocolBufferException.class, () -> Signals.parse("{\"titel\": \"typo\"}"));
    assertThrows(InvalidProtocolBufferException.class, () -> Signals.parse("{\"id\": \"broken\", \"title\": "));
    assertThrows(InvalidProtocolBufferException.class, () -> Signals.parse("[1, 2]"));
    assertThrows(InvalidProtocolBufferException.class, () -> Signals.parse("{\"engagement\": {\"up\": \"x\"}}"));
  }

  @Test
  void linesSplitAtNewlinesOnlyAsGosScannerDoes() throws IOException {
    Signals.LineReader lines = new Signals.LineReader(new StringReader("a\r\nb\rc\n\nlast"));
    assertEquals("a", lines.next());
    assertEquals("b\rc", lines.next());
    assertEquals("", lines.next());
    assertEquals("last", lines.next());
    assertNull(lines.next());
    assertNull(new Signals.LineReader(new StringReader("")).next());
    Signals.LineReader one = new Signals.LineReader(new StringReader("x\n"));
    assertEquals("x", one.next());
    assertNull(one.next());
    assertTrue(Signals.MAX_LINE > 1 << 20);
  }
}
