package glm3.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import io.grpc.Metadata;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

/** How errors print: code name, ErrorInfo reason, every BadRequest field violation. */
class StatusTextTest {
  private static final Status INVALID_SIGNAL = Status.newBuilder()
      .setCode(Code.INVALID_ARGUMENT_VALUE)
      .setMessage("signal is invalid")
      .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("glm3").setReason("INVALID_SIGNAL").build()))
      .addDetails(Any.pack(BadRequest.newBuilder()
          .addFieldViolations(BadRequest.FieldViolation.newBuilder()
              .setField("signal.title").setDescription("is required"))
          .addFieldViolations(BadRequest.FieldViolation.newBuilder()
              .setField("signal.engagement[comments]").setDescription("must be 0 or more, got -1"))
          .build()))
      .build();

  @Test
  void aPerItemErrorShowsItsReasonAndEveryFieldViolation() {
    assertEquals("INVALID_ARGUMENT INVALID_SIGNAL signal.title: is required; "
        + "signal.engagement[comments]: must be 0 or more, got -1", StatusText.describe(INVALID_SIGNAL));
  }

  @Test
  void withoutFieldViolationsTheMessageShows() {
    Status status = Status.newBuilder()
        .setCode(Code.UNAUTHENTICATED_VALUE)
        .setMessage("a bearer token is required")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("TOKEN_MISSING").build()))
        .build();
    assertEquals("UNAUTHENTICATED TOKEN_MISSING a bearer token is required", StatusText.describe(status));
    assertEquals("INTERNAL", StatusText.describe(Status.newBuilder().setCode(13).build()));
    assertEquals("CODE_42 odd", StatusText.describe(Status.newBuilder().setCode(42).setMessage("odd").build()));
    assertEquals("UNKNOWN (result with neither candidate nor error)", StatusText.describe((Status) null));
  }

  @Test
  void aFailedCallIsDescribedFromItsStatusDetailsTrailer() {
    assertEquals(StatusText.describe(INVALID_SIGNAL),
        StatusText.describe(StatusProto.toStatusRuntimeException(INVALID_SIGNAL, new Metadata())));
    assertEquals("UNAVAILABLE io exception: Connection refused",
        StatusText.describe(io.grpc.Status.UNAVAILABLE.withDescription("io exception")
            .withCause(new java.net.ConnectException("Connection refused")).asRuntimeException()));
  }

  @Test
  void scoresRoundAsGoAndPythonPrintThem() {
    assertEquals("1.00", StatusText.twoDecimals(1.005)); // 1.00499999999999989...
    assertEquals("0.12", StatusText.twoDecimals(0.125)); // an exact tie: to even
    assertEquals("0.38", StatusText.twoDecimals(0.375));
    assertEquals("72.50", StatusText.twoDecimals(72.5));
    assertEquals("100.00", StatusText.twoDecimals(100));
  }
}
