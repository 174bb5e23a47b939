package glm3.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import glm3.scoring.v1.Candidate.ScoredCandidate;
import glm3.scoring.v1.Candidate.Verdict;
import glm3.scoring.v1.ScoringServiceGrpc;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreResult;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest;
import glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse;
import glm3.scoring.v1.ScoringServiceOuterClass.SignalBatch;
import glm3.scoring.v1.ScoringServiceOuterClass.StreamSignal;
import glm3.scoring.v1.SignalOuterClass.Signal;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a running scoring server (plaintext gRPC, no authentication): {@code -Dglm3.target=HOST:PORT}
 * or the environment variable GLM3_JAVA_TEST_TARGET. Without either these tests are skipped, so that
 * {@code mvn package} alone works; tests/e2e/test_java_client.py starts a server and passes its address.
 */
class LiveServerTest {
  private static final String TARGET_PROPERTY = "glm3.target";
  private static final String TARGET_ENV = "GLM3_JAVA_TEST_TARGET";
  private static String target;
  private static ManagedChannel channel;
  /** Signal ids unique to this run: the server may already hold signals of earlier runs. */
  private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

  @BeforeAll
  static void connect() {
    target = System.getProperty(TARGET_PROPERTY, "").strip();
    if (target.isEmpty()) {
      target = System.getenv().getOrDefault(TARGET_ENV, "").strip();
    }
    if (!target.isEmpty()) {
      channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    }
  }

  @BeforeEach
  void needsAServer() {
    assumeTrue(channel != null, "no scoring server to test against: set -D" + TARGET_PROPERTY
        + "=HOST:PORT (or " + TARGET_ENV + ") to run the live-server tests");
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static Signal signal(String id) {
    return Signal.newBuilder()
        .setId(id)
        .setSource("reddit")
        .setTitle("I hate reconciling invoices by hand")
        .setDescription("Every month our small business wastes hours matching payments. I would pay for a fix.")
        .addTags("invoicing")
        .putEngagement("upvotes", 120)
        .putEngagement("comments", 14)
        .build();
  }

  @Test
  void scoringAValidSignalReturnsACandidateWithAVerdict() {
    String id = "java-unary-" + RUN;
    ScoreResponse response = ScoringServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .score(ScoreRequest.newBuilder().setSignal(signal(id)).build());

    ScoredCandidate candidate = response.getCandidate();
    assertTrue(response.getSuccess());
    assertEquals(id, candidate.getSignalId());
    assertTrue(candidate.getId().startsWith("candidate_"), candidate.getId());
    assertNotEquals(Verdict.VERDICT_UNSPECIFIED, candidate.getVerdict());
    assertNotEquals(Verdict.UNRECOGNIZED, candidate.getVerdict());
    assertTrue(candidate.getOverallScore() >= 0 && candidate.getOverallScore() <= 100);
  }

  @Test
  void anInvalidSignalOnScoreIsACallErrorWithBadRequestDetails() throws InvalidProtocolBufferException {
    Signal invalid = signal("java-unary-bad-" + RUN).toBuilder().setTitle("").build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ScoringServiceGrpc
        .newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .score(ScoreRequest.newBuilder().setSignal(invalid).build()));

    assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertNotNull(status, "no grpc-status-details-bin trailer");
    assertTrue(fieldViolations(status).containsKey("signal.title"), status.toString());
    assertTrue(StatusText.describe(e).startsWith("INVALID_ARGUMENT INVALID_SIGNAL "), StatusText.describe(e));
  }

  @Test
  void anInvalidSignalInAStreamGetsItsOwnInvalidArgumentWhileTheStreamGoesOn() throws Exception {
    String prefix = "java-stream-" + RUN + "-";
    Signal invalid = signal(prefix + "bad").toBuilder().setTitle("").build();
    List<ScoreStreamRequest> frames = List.of(
        frame(signal(prefix + "1"), invalid, signal(prefix + "2")),
        frame(signal(prefix + "3")));

    List<ScoreResult> results = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ScoreStreamRequest> requests = ScoringServiceGrpc.newStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .scoreStream(new StreamObserver<ScoreStreamResponse>() {
          @Override
          public void onNext(ScoreStreamResponse response) {
            synchronized (results) {
              results.addAll(response.getResults().getResultsList());
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    frames.forEach(requests::onNext);
    requests.onCompleted();
    done.get(60, TimeUnit.SECONDS); // the stream ended OK: one bad signal never fails the others

    Map<String, ScoreResult> byId = new HashMap<>();
    synchronized (results) {
      results.forEach(r -> byId.put(r.getCorrelationId(), r));
    }
    assertEquals(4, byId.size(), byId.keySet().toString());
    for (String good : List.of("1", "2", "3")) {
      ScoreResult result = byId.get(prefix + good);
      assertEquals(ScoreResult.OutcomeCase.CANDIDATE, result.getOutcomeCase(), result.toString());
      assertNotEquals(Verdict.VERDICT_UNSPECIFIED, result.getCandidate().getVerdict());
    }
    ScoreResult bad = byId.get(prefix + "bad");
    assertEquals(ScoreResult.OutcomeCase.ERROR, bad.getOutcomeCase());
    assertEquals(Code.INVALID_ARGUMENT_VALUE, bad.getError().getCode());
    ErrorInfo info = null;
    for (Any detail : bad.getError().getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        info = detail.unpack(ErrorInfo.class);
      }
    }
    assertNotNull(info, bad.getError().toString());
    assertEquals("INVALID_SIGNAL", info.getReason());
    assertEquals("glm3", info.getDomain());
    assertTrue(fieldViolations(bad.getError()).containsKey("signal.title"), bad.getError().toString());
    assertEquals(1L, bad.getSequence());
  }

  private static final Pattern RESULT_LINE = Pattern.compile("(\\S+) (GO|RESEARCH|PASS) (\\d+\\.\\d\\d)");
  private static final Pattern ERROR_LINE = Pattern.compile("(\\S+) ERROR ([A-Z_]+) (.*)");
  private static final Pattern SUMMARY =
      Pattern.compile("summary: sent=(\\d+) scored=(\\d+) failed=(\\d+) bad_lines=(\\d+) .*elapsed=[\\d.]+s");

  @Test
  void theCommandPrintsOneLinePerResultThenASummary(@TempDir Path dir) throws Exception {
    String prefix = "java-cli-" + RUN + "-";
    String valid = com.google.protobuf.util.JsonFormat.printer().print(signal(prefix + "1"));
    String noId = com.google.protobuf.util.JsonFormat.printer().print(signal("")).replace('\n', ' ');
    String lines = String.join("\n",
        valid.replace('\n', ' '),
        "{\"id\": \"" + prefix + "bad\", \"source\": \"reddit\", \"title\": \"\", \"description\": \"x\"}",
        "{\"id\": \"broken\", \"title\": ",
        "",
        noId) + "\n";
    Path input = Files.writeString(dir.resolve("signals.jsonl"), lines);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Glm3Stream.main(List.of("--target", target, "--frame", "2", input.toString()), Map.of(),
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String stdout = out.toString(StandardCharsets.UTF_8);
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, stdout + stderr); // one signal failed and one line was skipped
    List<String> printed = List.of(stdout.split("\n"));
    assertEquals(4, printed.size(), stdout);
    Map<String, Matcher> scored = new HashMap<>();
    Map<String, Matcher> errors = new HashMap<>();
    for (String line : printed.subList(0, 3)) {
      Matcher m = RESULT_LINE.matcher(line);
      Matcher e = ERROR_LINE.matcher(line);
      if (m.matches()) {
        scored.put(m.group(1), m);
      } else if (e.matches()) {
        errors.put(e.group(1), e);
      }
    }
    assertEquals(java.util.Set.of(prefix + "1", "line-5"), scored.keySet(), stdout);
    Matcher error = errors.get(prefix + "bad");
    assertNotNull(error, stdout);
    assertEquals("INVALID_ARGUMENT", error.group(2));
    assertTrue(error.group(3).startsWith("INVALID_SIGNAL ") && error.group(3).contains("signal.title: "), stdout);
    Matcher summary = SUMMARY.matcher(printed.get(3));
    assertTrue(summary.matches(), printed.get(3));
    assertEquals(List.of("3", "2", "1", "1"),
        List.of(summary.group(1), summary.group(2), summary.group(3), summary.group(4)));
    assertTrue(stderr.contains("line 3 skipped: not a signal: "), stderr);
  }

  private static ScoreStreamRequest frame(Signal... signals) {
    SignalBatch.Builder batch = SignalBatch.newBuilder();
    for (Signal s : signals) {
      batch.addItems(StreamSignal.newBuilder().setCorrelationId(s.getId()).setSignal(s));
    }
    return ScoreStreamRequest.newBuilder().setBatch(batch).build();
  }

  private static Map<String, String> fieldViolations(com.google.rpc.Status status)
      throws InvalidProtocolBufferException {
    Map<String, String> violations = new HashMap<>();
    for (Any detail : status.getDetailsList()) {
      if (detail.is(BadRequest.class)) {
        for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
          violations.put(v.getField(), v.getDescription());
        }
      }
    }
    return violations;
  }
}
