package glm3.client;

import com.google.protobuf.InvalidProtocolBufferException;
import glm3.client.Options.UsageException;
import glm3.scoring.v1.Candidate.ScoredCandidate;
import glm3.scoring.v1.Candidate.Verdict;
import glm3.scoring.v1.ScoringServiceGrpc;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreResult;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse;
import glm3.scoring.v1.ScoringServiceOuterClass.SignalBatch;
import glm3.scoring.v1.ScoringServiceOuterClass.StreamSignal;
import glm3.scoring.v1.SignalOuterClass.Signal;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * glm3-stream (Java): streams signals from a JSON Lines file to ScoringService.ScoreStream and prints one
 * line per result, then a summary; an example of a Java client built on the messages and stubs that
 * protoc and protoc-gen-grpc-java generate from protos/ into generated/java (grpc-java with its Netty transport).
 *
 * <p>Same flags, input, output and exit status as the Go client (clients/go) and the Node one:
 *
 * <pre>
 *   &lt;correlation id&gt; &lt;VERDICT&gt; &lt;overall score&gt;             for a scored signal
 *   &lt;correlation id&gt; ERROR &lt;CODE&gt; &lt;REASON&gt; &lt;field&gt;: &lt;why&gt;   for a failed one (every field violation)
 *   summary: sent=N scored=N failed=N bad_lines=N GO=N ... elapsed=Ns
 * </pre>
 *
 * <p>The correlation id is the signal's id, or {@code line-N} for a signal without one. A line that is not
 * a valid signal is reported on stderr with its line number and skipped. Exit status: 0 when every signal
 * was scored, 1 when any line or signal failed, 2 for bad usage (including an unreadable or invalid
 * {@code --ca}, {@code --cert} or {@code --key} file, and a token that is not one line of printable ASCII),
 * 3 when the call failed; a failed call prints {@code stream failed: <CODE> <REASON> <message>} on stderr.
 */
public final class Glm3Stream {
  private Glm3Stream() {}

  /** Largest response frame accepted: the server's own request limit. */
  private static final int MAX_INBOUND = 16 << 20;

  public static void main(String[] args) {
    PrintStream out = new PrintStream(
        new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int code = main(Arrays.asList(args), System.getenv(), System.in, out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** The whole program, minus System.exit: parses the flags and runs the stream. */
  static int main(java.util.List<String> args, Map<String, String> env, InputStream stdin, PrintStream out,
      PrintStream err) {
    Options options;
    try {
      options = Options.parse(args, env);
    } catch (UsageException e) {
      err.println("glm3-stream: " + e.getMessage());
      err.println(Options.USAGE);
      return 2;
    }
    if (options.help) {
      err.println(Options.USAGE);
      return 0;
    }
    return run(options, stdin, out, err);
  }

  /** Counts what happened. */
  static final class Tally {
    // The sender (the caller's thread) owns these two, read only after it is done.
    int sent;
    int badLines;
    // The gRPC callbacks own these, read only after the call ended.
    int scored;
    int failed;
    final Map<String, Integer> verdicts = new TreeMap<>();

    String summary(double elapsedSeconds) {
      String counts = verdicts.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(" "));
      return String.format(Locale.ROOT, "summary: sent=%d scored=%d failed=%d bad_lines=%d %s elapsed=%.2fs",
          sent, scored, failed, badLines, counts, elapsedSeconds);
    }
  }

  static int run(Options o, InputStream stdin, PrintStream out, PrintStream err) {
    InputStream in = stdin;
    if (!o.input.equals("-")) {
      try {
        in = Files.newInputStream(Path.of(o.input));
      } catch (NoSuchFileException e) {
        err.println("glm3-stream: open " + o.input + ": no such file or directory");
        return 2;
      } catch (AccessDeniedException e) {
        err.println("glm3-stream: open " + o.input + ": permission denied");
        return 2;
      } catch (IOException e) {
        err.println("glm3-stream: open " + o.input + ": " + e.getMessage());
        return 2;
      }
    }
    ChannelCredentials credentials;
    try {
      credentials = o.tls ? Tls.credentials(o) : InsecureChannelCredentials.create();
    } catch (UsageException e) {
      err.println("glm3-stream: " + e.getMessage());
      return 2;
    }
    ManagedChannel channel;
    try {
      ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(o.target, credentials)
          .maxInboundMessageSize(MAX_INBOUND);
      if (o.serverName != null) {
        builder.overrideAuthority(o.serverName); // the name verified in the certificate, and the SNI
      }
      channel = builder.build();
    } catch (RuntimeException e) { // a TLS file the transport refuses, or a target it cannot parse
      err.println("glm3-stream: " + (o.tls ? "TLS: " : "") + e.getMessage());
      return 2;
    }
    try (InputStream input = in) {
      return stream(channel, o, input, out, err);
    } catch (IOException e) {
      return 3; // closing the input failed: nothing left to report
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int stream(ManagedChannel channel, Options o, InputStream in, PrintStream out, PrintStream err) {
    ScoringServiceGrpc.ScoringServiceStub stub = ScoringServiceGrpc.newStub(channel)
        .withDeadlineAfter(o.timeoutMillis, TimeUnit.MILLISECONDS);
    if (!o.token.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + o.token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    Tally tally = new Tally();
    long started = System.nanoTime();
    Call call = new Call(response -> {
      StringBuilder lines = new StringBuilder();
      for (ScoreResult result : response.getResults().getResultsList()) {
        lines.append(report(result, tally)).append('\n');
      }
      out.print(lines); // one write per response frame: results show as they arrive
      out.flush();
    });
    stub.scoreStream(call);
    Throwable readFailure = send(call, in, o.frame, tally, err);
    Throwable failure = call.await();
    if (failure == null) {
      failure = readFailure;
    }
    out.println(tally.summary((System.nanoTime() - started) / 1e9));
    out.flush();
    if (failure != null) {
      err.println("glm3-stream: stream failed: " + StatusText.describe(failure));
      return 3;
    }
    return tally.failed > 0 || tally.badLines > 0 ? 1 : 0;
  }

  /**
   * Reads signals line by line and sends them in frames of {@code frame}, never holding more than one frame,
   * and waiting before each frame until the transport is ready for it: the server's in-flight window
   * slows this loop down through HTTP/2 flow control. Returns an error reading the input, else null.
   */
  private static Throwable send(Call call, InputStream in, int frame, Tally tally, PrintStream err) {
    Signals.LineReader lines = new Signals.LineReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    SignalBatch.Builder batch = SignalBatch.newBuilder();
    try {
      if (!call.awaitReady()) {
        return null; // the call failed before it opened (an unreachable server): nothing is read
      }
      int line = 0;
      for (String raw; (raw = lines.next()) != null; ) {
        line++;
        String text = raw.strip();
        if (text.isEmpty()) {
          continue;
        }
        Signal signal;
        try {
          signal = Signals.parse(text);
        } catch (InvalidProtocolBufferException e) {
          err.println("glm3-stream: line " + line + " skipped: not a signal: " + e.getMessage());
          tally.badLines++;
          continue;
        }
        String id = signal.getId().isEmpty() ? "line-" + line : signal.getId();
        batch.addItems(StreamSignal.newBuilder().setCorrelationId(id).setSignal(signal));
        if (batch.getItemsCount() == frame) {
          if (!flush(call, batch, tally)) {
            return null; // the call ended: its status says why
          }
        }
      }
      if (flush(call, batch, tally)) {
        call.halfClose();
      }
      return null;
    } catch (IOException e) {
      call.halfClose(); // the results of the signals already sent still come back
      return new IOException("reading input: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(e);
      return e;
    }
  }

  private static boolean flush(Call call, SignalBatch.Builder batch, Tally tally) throws InterruptedException {
    int count = batch.getItemsCount();
    if (count == 0) {
      return true;
    }
    if (!call.send(ScoreStreamRequest.newBuilder().setBatch(batch).build())) {
      return false;
    }
    tally.sent += count;
    batch.clear();
    return true;
  }

  static String report(ScoreResult result, Tally tally) {
    if (result.getOutcomeCase() == ScoreResult.OutcomeCase.CANDIDATE) {
      ScoredCandidate candidate = result.getCandidate();
      String verdict = candidate.getVerdict() == Verdict.UNRECOGNIZED
          ? String.valueOf(candidate.getVerdictValue())
          : candidate.getVerdict().name().replaceFirst("^VERDICT_", "");
      tally.scored++;
      tally.verdicts.merge(verdict, 1, Integer::sum);
      return result.getCorrelationId() + " " + verdict + " " + StatusText.twoDecimals(candidate.getOverallScore());
    }
    tally.failed++;
    return result.getCorrelationId() + " ERROR "
        + StatusText.describe(result.getOutcomeCase() == ScoreResult.OutcomeCase.ERROR ? result.getError() : null);
  }

  /**
   * One ScoreStream call: gRPC delivers the responses on its executor, one at a time, to {@code onResults};
   * the caller's thread sends the frames, each once the transport is ready ({@link #send}).
   */
  static final class Call implements ClientResponseObserver<ScoreStreamRequest, ScoreStreamResponse> {
    private final java.util.function.Consumer<ScoreStreamResponse> onResults;
    private final Object lock = new Object();
    private ClientCallStreamObserver<ScoreStreamRequest> requests;
    private boolean ended; // guarded by lock
    private Throwable failure; // guarded by lock

    Call(java.util.function.Consumer<ScoreStreamResponse> onResults) {
      this.onResults = onResults;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ScoreStreamRequest> requestStream) {
      requests = requestStream;
      requestStream.setOnReadyHandler(this::wake);
    }

    private void wake() {
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    @Override
    public void onNext(ScoreStreamResponse response) {
      if (response.hasResults()) {
        onResults.accept(response);
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (lock) {
        failure = t;
        ended = true;
        lock.notifyAll();
      }
    }

    @Override
    public void onCompleted() {
      synchronized (lock) {
        ended = true;
        lock.notifyAll();
      }
    }

    /** Waits until the transport can take a frame; false when the call has already ended. */
    boolean awaitReady() throws InterruptedException {
      synchronized (lock) {
        while (!ended && !requests.isReady()) {
          lock.wait(100); // the ready handler wakes it; the timeout only guards against a missed wake-up
        }
        return !ended;
      }
    }

    /** Sends one frame once the transport can take it; false when the call has already ended. */
    boolean send(ScoreStreamRequest frame) throws InterruptedException {
      if (!awaitReady()) {
        return false;
      }
      requests.onNext(frame);
      return true;
    }

    void halfClose() {
      synchronized (lock) {
        if (ended) {
          return;
        }
      }
      try {
        requests.onCompleted();
      } catch (IllegalStateException e) {
        // the call ended meanwhile: its status says why
      }
    }

    void cancel(Throwable cause) {
      requests.cancel("glm3-stream stopped", cause);
    }

    /** Waits for the end of the call; its error, or null when the server completed it. */
    Throwable await() {
      synchronized (lock) {
        while (!ended) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
          }
        }
        return failure;
      }
    }
  }
}
