package glm3.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import glm3.scoring.v1.SignalOuterClass.Signal;
import java.io.IOException;
import java.io.Reader;

/** The input of glm3-stream: JSON Lines, one signal in the seed's JSON (proto3 JSON of Signal) a line. */
final class Signals {
  private Signals() {}

  /** One input line bounds at 16 MiB; the server refuses larger requests anyway. */
  static final int MAX_LINE = 16 << 20;

  // Unknown fields are errors, as in proto3 JSON: a misspelt field name must not pass unnoticed. The
  // parser takes both the JSON names (sourceUrl) and the proto names the seed writes (source_url), and
  // null as "absent" for any field.
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  /** Parses one line; a line that is not a signal throws with the parser's reason. */
  static Signal parse(String text) throws InvalidProtocolBufferException {
    Signal.Builder builder = Signal.newBuilder();
    try {
      PARSER.merge(text, builder);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (RuntimeException e) { // Gson's own exceptions, should one escape the parser
      throw new InvalidProtocolBufferException(e.getMessage());
    }
    return builder.build();
  }

  /**
   * Lines split at '\n' only, a trailing '\r' dropped, as Go's bufio.Scanner does, so that line numbers
   * match the Go client's.
   */
  static final class LineReader {
    private final Reader in;
    private final char[] buffer = new char[64 << 10];
    private int position;
    private int limit;
    private boolean eof;

    LineReader(Reader in) {
      this.in = in;
    }

    /** The next line without its line break; null at the end of the input. */
    String next() throws IOException {
      StringBuilder line = null;
      while (true) {
        if (position == limit) {
          if (eof) {
            return line == null ? null : strip(line);
          }
          limit = in.read(buffer, 0, buffer.length);
          position = 0;
          if (limit <= 0) {
            limit = 0;
            eof = true;
            continue;
          }
        }
        if (line == null) {
          line = new StringBuilder();
        }
        int start = position;
        while (position < limit && buffer[position] != '\n') {
          position++;
        }
        line.append(buffer, start, position - start);
        if (line.length() > MAX_LINE) {
          throw new IOException("a line is longer than " + MAX_LINE + " characters");
        }
        if (position < limit) { // at '\n'
          position++;
          return strip(line);
        }
      }
    }

    private static String strip(StringBuilder line) {
      int n = line.length();
      if (n > 0 && line.charAt(n - 1) == '\r') {
        line.setLength(n - 1);
      }
      return line.toString();
    }
  }
}
