package glm3.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of glm3-stream: the flags of the Go and Node clients, spelt either way ({@code -target X}
 * as Go's flag package does, or {@code --target X} as the Node client does; {@code --target=X} too), then
 * at most one input file ({@code -} or none: standard input). Flags may come after the file; {@code --}
 * ends the flags.
 */
final class Options {
  static final String DEFAULT_TARGET = "127.0.0.1:50051";
  /** The environment variable that holds the bearer token when {@code --token} is not given. */
  static final String TOKEN_ENV = "GLM3_TOKEN";

  static final String USAGE =
      "usage: glm3-stream [--target HOST:PORT] [--frame N] [--timeout DURATION] [--tls] [--ca FILE]\n"
          + "                   [--cert FILE --key FILE] [--server-name NAME] [--token TOKEN] [FILE|-]\n"
          + "  --target HOST:PORT  scoring server address (default " + DEFAULT_TARGET + "; plaintext gRPC\n"
          + "                      unless TLS is asked for)\n"
          + "  --frame N           signals per request frame, 1 to 1000 (default 100)\n"
          + "  --timeout DURATION  deadline of the whole stream, e.g. 30s, 5m, 1h30m (default 5m)\n"
          + "  --tls               TLS, the server verified against the JDK's root certificates\n"
          + "  --ca FILE           TLS, the server verified against the PEM root certificates in FILE only\n"
          + "  --cert FILE         mutual TLS: the PEM client certificate (chain); needs --key\n"
          + "  --key FILE          the PEM private key of --cert (PKCS#8, PKCS#1 RSA or SEC1 EC); needs --cert\n"
          + "  --server-name NAME  TLS: the name the server's certificate must hold, not --target's host\n"
          + "  --token TOKEN       bearer token sent as `authorization: Bearer TOKEN` (default $" + TOKEN_ENV + ")\n"
          + "Flags may also be spelt with one dash (-target), as the Go client does. --ca, --cert, --key and\n"
          + "--server-name imply --tls. Exit status: 0 all scored, 1 a line or signal failed, 2 bad usage,\n"
          + "3 the call failed.";

  String target = DEFAULT_TARGET;
  int frame = 100;
  long timeoutMillis = 5 * 60_000L;
  /** The input file; {@code -}: standard input. */
  String input = "-";
  /** {@code --tls}, or implied by {@code --ca}, {@code --cert}, {@code --key} or {@code --server-name}. */
  boolean tls;
  /** PEM roots; null: the JDK's. */
  String caFile;
  /** Client certificate chain for mutual TLS, with {@link #keyFile}. */
  String certFile;
  String keyFile;
  String serverName;
  /** Bearer token; empty: none. Never printed. */
  String token = "";
  /** {@code -h}, {@code -help} or {@code --help}: print the usage and exit 0. */
  boolean help;

  /** A command line that cannot be run: exit status 2. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private static final List<String> VALUE_FLAGS =
      List.of("target", "frame", "timeout", "ca", "cert", "key", "server-name", "token");

  static Options parse(List<String> args, Map<String, String> env) throws UsageException {
    Options o = new Options();
    List<String> positionals = new ArrayList<>();
    String frameText = "100";
    String timeoutText = "5m";
    String tokenFlag = null;
    boolean flagsEnded = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (flagsEnded || arg.equals("-") || !arg.startsWith("-")) {
        positionals.add(arg);
        continue;
      }
      if (arg.equals("--")) {
        flagsEnded = true;
        continue;
      }
      String name = arg.substring(arg.startsWith("--") ? 2 : 1);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("h") || name.equals("help")) {
        o.help = true;
        return o;
      }
      if (name.equals("tls")) {
        o.tls = value == null || parseBool(value);
        continue;
      }
      if (!VALUE_FLAGS.contains(name)) {
        throw new UsageException("flag provided but not defined: --" + name);
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new UsageException("flag needs an argument: --" + name);
        }
        value = args.get(++i);
      }
      switch (name) {
        case "target" -> o.target = value;
        case "frame" -> frameText = value;
        case "timeout" -> timeoutText = value;
        case "ca" -> o.caFile = value;
        case "cert" -> o.certFile = value;
        case "key" -> o.keyFile = value;
        case "server-name" -> o.serverName = value;
        case "token" -> tokenFlag = value;
        default -> throw new AssertionError(name);
      }
    }
    // The same checks, in the same order, as the Go client.
    if (positionals.size() > 1) {
      throw new UsageException("at most one input file");
    }
    o.frame = parseFrame(frameText);
    o.timeoutMillis = parseDurationMillis(timeoutText);
    if (o.timeoutMillis <= 0) {
      throw new UsageException("--timeout must be positive");
    }
    if ((o.certFile == null) != (o.keyFile == null)) {
      throw new UsageException("--cert and --key go together: give both or neither");
    }
    if (tokenFlag != null) {
      o.token = tokenFlag;
    } else {
      o.token = env.getOrDefault(TOKEN_ENV, "");
    }
    checkToken(o.token, tokenFlag != null ? "--token" : TOKEN_ENV);
    o.tls = o.tls || o.caFile != null || o.certFile != null || o.serverName != null;
    if (!positionals.isEmpty()) {
      o.input = positionals.get(0);
    }
    return o;
  }

  private static boolean parseBool(String value) throws UsageException {
    return switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "1", "t", "true" -> true;
      case "0", "f", "false" -> false;
      default -> throw new UsageException("invalid boolean value \"" + value + "\" for flag --tls");
    };
  }

  private static int parseFrame(String text) throws UsageException {
    int frame;
    try {
      frame = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      frame = -1;
    }
    if (frame < 1 || frame > 1000) {
      throw new UsageException("--frame must be 1 to 1000, got " + text);
    }
    return frame;
  }

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  /** A duration as Go writes them ({@code 500ms}, {@code 30s}, {@code 1m30s}, {@code 1h}), in milliseconds. */
  static long parseDurationMillis(String text) throws UsageException {
    Matcher m = DURATION_PART.matcher(text);
    double total = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      double amount = Double.parseDouble(m.group(1));
      total += amount * switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1_000;
        case "m" -> 60_000;
        default -> 3_600_000;
      };
      end = m.end();
    }
    if (end == 0 || end != text.length()) {
      throw new UsageException("--timeout must be a duration such as 30s or 5m, got " + text);
    }
    return (long) Math.ceil(total);
  }

  /**
   * Refuses a token that cannot be one metadata value: a line break (a token file read with its newline,
   * say) or any other character outside printable ASCII. The message never shows the token.
   */
  static void checkToken(String token, String source) throws UsageException {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '\n' || c == '\r') {
        throw new UsageException(source + " must be one line: it contains a line break");
      }
      if (c < 0x20 || c > 0x7e) {
        throw new UsageException(source + " must be printable ASCII");
      }
    }
  }
}
