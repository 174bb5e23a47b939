package glm3.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * How glm3-stream prints an error, per item or for the whole call: {@code CODE REASON field: why; ...},
 * from the gRPC rich error model: the google.rpc.Code name, the reason of the {@code google.rpc.ErrorInfo}
 * detail, and every field violation of the {@code google.rpc.BadRequest} detail (the status message when
 * there is none). The same text as the Go and Node clients print.
 */
final class StatusText {
  private StatusText() {}

  /** The google.rpc.Code name of a status code (INVALID_ARGUMENT), as every gRPC tool prints them. */
  static String codeName(int code) {
    Code known = Code.forNumber(code);
    return known != null ? known.name() : "CODE_" + code;
  }

  /** A per-item error ({@code ScoreResult.error}); null: a result with neither candidate nor error. */
  static String describe(Status status) {
    if (status == null) {
      return "UNKNOWN (result with neither candidate nor error)";
    }
    List<String> parts = new ArrayList<>();
    parts.add(codeName(status.getCode()));
    String reason = "";
    List<String> violations = new ArrayList<>();
    for (Any detail : status.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class)) {
          reason = detail.unpack(ErrorInfo.class).getReason();
        } else if (detail.is(BadRequest.class)) {
          for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
            violations.add(v.getField() + ": " + v.getDescription());
          }
        }
      } catch (InvalidProtocolBufferException e) {
        // A detail that does not decode is left out, as the Go client does.
      }
    }
    if (!reason.isEmpty()) {
      parts.add(reason);
    }
    if (!violations.isEmpty()) {
      parts.add(String.join("; ", violations));
    } else if (!status.getMessage().isEmpty()) {
      parts.add(status.getMessage());
    }
    return String.join(" ", parts);
  }

  /**
   * A failed call, described as a per-item error is: the server's google.rpc.Status from the
   * {@code grpc-status-details-bin} trailer when it sent one (UNAUTHENTICATED TOKEN_MISSING ...), else the
   * gRPC status code and description, and the cause of a transport failure.
   */
  static String describe(Throwable failure) {
    if (failure instanceof StatusRuntimeException || failure instanceof StatusException) {
      // From the details trailer when there is one; else built from the gRPC status (code, description).
      Status rich = StatusProto.fromThrowable(failure);
      io.grpc.Status status = io.grpc.Status.fromThrowable(failure);
      Throwable cause = status.getCause();
      if (rich != null && rich.getDetailsCount() == 0 && cause != null && cause.getMessage() != null
          && !rich.getMessage().contains(cause.getMessage())) {
        // A transport failure (UNAVAILABLE io exception): its cause says what failed.
        String message = rich.getMessage().isEmpty() ? cause.getMessage() : rich.getMessage() + ": " + cause.getMessage();
        rich = rich.toBuilder().setMessage(message).build();
      }
      if (rich != null) {
        return describe(rich);
      }
    }
    return failure.getMessage() != null ? failure.getMessage() : failure.toString();
  }

  /**
   * A score with two decimals, rounded from the double's exact value, ties to even: what Go's and
   * Python's {@code %.2f} print (Java's Formatter rounds half up from the shortest decimal, so 1.005 would
   * print 1.01 where they print 1.00).
   */
  static String twoDecimals(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return String.valueOf(value);
    }
    return new BigDecimal(value).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
  }
}
