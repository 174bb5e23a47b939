package glm3.scoring.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Turns signals into scored candidates and serves what was scored.
 * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
 * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
 * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
 * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
 * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
 * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
 * refused with `RESOURCE_EXHAUSTED`.
 * Access: once the server is configured with authentication, every call carries a bearer token
 * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
 * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
 * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
 * `grpc.health.v1.Health` needs no credential.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class ScoringServiceGrpc {

  private ScoringServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "glm3.scoring.v1.ScoringService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> getScoreMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Score",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> getScoreMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> getScoreMethod;
    if ((getScoreMethod = ScoringServiceGrpc.getScoreMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getScoreMethod = ScoringServiceGrpc.getScoreMethod) == null) {
          ScoringServiceGrpc.getScoreMethod = getScoreMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Score"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("Score"))
              .build();
        }
      }
    }
    return getScoreMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> getBatchScoreMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "BatchScore",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> getBatchScoreMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest, glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> getBatchScoreMethod;
    if ((getBatchScoreMethod = ScoringServiceGrpc.getBatchScoreMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getBatchScoreMethod = ScoringServiceGrpc.getBatchScoreMethod) == null) {
          ScoringServiceGrpc.getBatchScoreMethod = getBatchScoreMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest, glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "BatchScore"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("BatchScore"))
              .build();
        }
      }
    }
    return getBatchScoreMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse> getScoreStreamMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ScoreStream",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse> getScoreStreamMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse> getScoreStreamMethod;
    if ((getScoreStreamMethod = ScoringServiceGrpc.getScoreStreamMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getScoreStreamMethod = ScoringServiceGrpc.getScoreStreamMethod) == null) {
          ScoringServiceGrpc.getScoreStreamMethod = getScoreStreamMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ScoreStream"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("ScoreStream"))
              .build();
        }
      }
    }
    return getScoreStreamMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse> getScoreUploadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ScoreUpload",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse> getScoreUploadMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse> getScoreUploadMethod;
    if ((getScoreUploadMethod = ScoringServiceGrpc.getScoreUploadMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getScoreUploadMethod = ScoringServiceGrpc.getScoreUploadMethod) == null) {
          ScoringServiceGrpc.getScoreUploadMethod = getScoreUploadMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ScoreUpload"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("ScoreUpload"))
              .build();
        }
      }
    }
    return getScoreUploadMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> getGetCandidateMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetCandidate",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> getGetCandidateMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> getGetCandidateMethod;
    if ((getGetCandidateMethod = ScoringServiceGrpc.getGetCandidateMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getGetCandidateMethod = ScoringServiceGrpc.getGetCandidateMethod) == null) {
          ScoringServiceGrpc.getGetCandidateMethod = getGetCandidateMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetCandidate"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("GetCandidate"))
              .build();
        }
      }
    }
    return getGetCandidateMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> getGetSignalMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetSignal",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> getGetSignalMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> getGetSignalMethod;
    if ((getGetSignalMethod = ScoringServiceGrpc.getGetSignalMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getGetSignalMethod = ScoringServiceGrpc.getGetSignalMethod) == null) {
          ScoringServiceGrpc.getGetSignalMethod = getGetSignalMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetSignal"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("GetSignal"))
              .build();
        }
      }
    }
    return getGetSignalMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> getListCandidatesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListCandidates",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> getListCandidatesMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest, glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> getListCandidatesMethod;
    if ((getListCandidatesMethod = ScoringServiceGrpc.getListCandidatesMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getListCandidatesMethod = ScoringServiceGrpc.getListCandidatesMethod) == null) {
          ScoringServiceGrpc.getListCandidatesMethod = getListCandidatesMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest, glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListCandidates"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("ListCandidates"))
              .build();
        }
      }
    }
    return getListCandidatesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> getSearchCandidatesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SearchCandidates",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> getSearchCandidatesMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest, glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> getSearchCandidatesMethod;
    if ((getSearchCandidatesMethod = ScoringServiceGrpc.getSearchCandidatesMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getSearchCandidatesMethod = ScoringServiceGrpc.getSearchCandidatesMethod) == null) {
          ScoringServiceGrpc.getSearchCandidatesMethod = getSearchCandidatesMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest, glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SearchCandidates"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("SearchCandidates"))
              .build();
        }
      }
    }
    return getSearchCandidatesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> getSubmitFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SubmitFeedback",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> getSubmitFeedbackMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest, glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> getSubmitFeedbackMethod;
    if ((getSubmitFeedbackMethod = ScoringServiceGrpc.getSubmitFeedbackMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getSubmitFeedbackMethod = ScoringServiceGrpc.getSubmitFeedbackMethod) == null) {
          ScoringServiceGrpc.getSubmitFeedbackMethod = getSubmitFeedbackMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest, glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SubmitFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("SubmitFeedback"))
              .build();
        }
      }
    }
    return getSubmitFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> getGetScoringStatsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetScoringStats",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> getGetScoringStatsMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> getGetScoringStatsMethod;
    if ((getGetScoringStatsMethod = ScoringServiceGrpc.getGetScoringStatsMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getGetScoringStatsMethod = ScoringServiceGrpc.getGetScoringStatsMethod) == null) {
          ScoringServiceGrpc.getGetScoringStatsMethod = getGetScoringStatsMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest, glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetScoringStats"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("GetScoringStats"))
              .build();
        }
      }
    }
    return getGetScoringStatsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAuditEvents",
      requestType = glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest.class,
      responseType = glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest,
      glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod() {
    io.grpc.MethodDescriptor<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest, glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod;
    if ((getListAuditEventsMethod = ScoringServiceGrpc.getListAuditEventsMethod) == null) {
      synchronized (ScoringServiceGrpc.class) {
        if ((getListAuditEventsMethod = ScoringServiceGrpc.getListAuditEventsMethod) == null) {
          ScoringServiceGrpc.getListAuditEventsMethod = getListAuditEventsMethod =
              io.grpc.MethodDescriptor.<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest, glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAuditEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ScoringServiceMethodDescriptorSupplier("ListAuditEvents"))
              .build();
        }
      }
    }
    return getListAuditEventsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ScoringServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ScoringServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ScoringServiceStub>() {
        @java.lang.Override
        public ScoringServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ScoringServiceStub(channel, callOptions);
        }
      };
    return ScoringServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static ScoringServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ScoringServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ScoringServiceBlockingV2Stub>() {
        @java.lang.Override
        public ScoringServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ScoringServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return ScoringServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ScoringServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ScoringServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ScoringServiceBlockingStub>() {
        @java.lang.Override
        public ScoringServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ScoringServiceBlockingStub(channel, callOptions);
        }
      };
    return ScoringServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ScoringServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ScoringServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ScoringServiceFutureStub>() {
        @java.lang.Override
        public ScoringServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ScoringServiceFutureStub(channel, callOptions);
        }
      };
    return ScoringServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Scores one signal. Idempotent on `signal.id`: a signal id that was already scored returns the stored
     * candidate (with `already_scored` set) unless `rescore` is set.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    default void score(glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getScoreMethod(), responseObserver);
    }

    /**
     * <pre>
     * Scores up to 1,000 signals in one call (the seed's batch endpoint). One invalid or failed signal never
     * fails the others: it is reported in `errors` and counted in `failed`.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    default void batchScore(glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getBatchScoreMethod(), responseObserver);
    }

    /**
     * <pre>
     * The producer's bulk path. Bidirectional so results flow back while signals are still being sent: each
     * request frame carries 1 to 1,000 signals, each response frame 1 or more results (a candidate or a
     * per-item error), sent as soon as they are ready, out of order, correlated by `correlation_id` and
     * `sequence`. Frames carry batches because gRPC's cost is per message: on a 2-core machine Python gRPC
     * moves about 3.7k messages/s but about 70k signals/s at 100 signals per message. A frame of one signal
     * works too (handy with grpcurl).
     * Role: `producer`; `operator` for a frame with `rescore` set (the stream then ends with
     * `PERMISSION_DENIED`).
     * The server keeps a bounded number of signals in flight per stream and stops reading while that window
     * is full, so a producer that sends faster than results are consumed is slowed down by HTTP/2 flow
     * control. An invalid signal is answered with its own error result; the stream goes on. A result is sent
     * only after its candidate is durably stored. Cancelling the call stops the work of that stream.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest> scoreStream(
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getScoreStreamMethod(), responseObserver);
    }

    /**
     * <pre>
     * Upload-only variant for producers that do not need results one by one: stream signal frames in, get
     * one summary out when the client half-closes. An upload that carries no signal at all is INVALID_ARGUMENT.
     * Role: `producer`; `operator` for a frame with `rescore` set.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest> scoreUpload(
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getScoreUploadMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one stored candidate by candidate id or by signal id (its latest version).
     * Role: `reader`.
     * </pre>
     */
    default void getCandidate(glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetCandidateMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns a signal as it was stored when received (author, engagement, raw content, comments...): the
     * latest one received with that id. An unknown id is `NOT_FOUND` (reason `SIGNAL_NOT_FOUND`).
     * Role: `reader`.
     * </pre>
     */
    default void getSignal(glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetSignalMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists stored candidates with filters and ordering, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    default void listCandidates(glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListCandidatesMethod(), responseObserver);
    }

    /**
     * <pre>
     * Full-text search over candidates' title, description and reasoning (and vector search when the server
     * has an embedding endpoint configured).
     * Role: `reader`.
     * </pre>
     */
    default void searchCandidates(glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSearchCandidatesMethod(), responseObserver);
    }

    /**
     * <pre>
     * Records what really happened to a candidate, so verdict quality can be measured. `submitted_by` is the authenticated principal once
     * authentication is configured. Role: `operator`.
     * </pre>
     */
    default void submitFeedback(glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSubmitFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * Counts, distributions and latencies of scoring, plus the service's health facts.
     * Role: `reader`.
     * </pre>
     */
    default void getScoringStats(glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetScoringStatsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    default void listAuditEvents(glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAuditEventsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service ScoringService.
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static abstract class ScoringServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return ScoringServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service ScoringService.
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class ScoringServiceStub
      extends io.grpc.stub.AbstractAsyncStub<ScoringServiceStub> {
    private ScoringServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ScoringServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ScoringServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Scores one signal. Idempotent on `signal.id`: a signal id that was already scored returns the stored
     * candidate (with `already_scored` set) unless `rescore` is set.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public void score(glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getScoreMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Scores up to 1,000 signals in one call (the seed's batch endpoint). One invalid or failed signal never
     * fails the others: it is reported in `errors` and counted in `failed`.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public void batchScore(glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getBatchScoreMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * The producer's bulk path. Bidirectional so results flow back while signals are still being sent: each
     * request frame carries 1 to 1,000 signals, each response frame 1 or more results (a candidate or a
     * per-item error), sent as soon as they are ready, out of order, correlated by `correlation_id` and
     * `sequence`. Frames carry batches because gRPC's cost is per message: on a 2-core machine Python gRPC
     * moves about 3.7k messages/s but about 70k signals/s at 100 signals per message. A frame of one signal
     * works too (handy with grpcurl).
     * Role: `producer`; `operator` for a frame with `rescore` set (the stream then ends with
     * `PERMISSION_DENIED`).
     * The server keeps a bounded number of signals in flight per stream and stops reading while that window
     * is full, so a producer that sends faster than results are consumed is slowed down by HTTP/2 flow
     * control. An invalid signal is answered with its own error result; the stream goes on. A result is sent
     * only after its candidate is durably stored. Cancelling the call stops the work of that stream.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest> scoreStream(
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getScoreStreamMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Upload-only variant for producers that do not need results one by one: stream signal frames in, get
     * one summary out when the client half-closes. An upload that carries no signal at all is INVALID_ARGUMENT.
     * Role: `producer`; `operator` for a frame with `rescore` set.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest> scoreUpload(
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getScoreUploadMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Returns one stored candidate by candidate id or by signal id (its latest version).
     * Role: `reader`.
     * </pre>
     */
    public void getCandidate(glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetCandidateMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns a signal as it was stored when received (author, engagement, raw content, comments...): the
     * latest one received with that id. An unknown id is `NOT_FOUND` (reason `SIGNAL_NOT_FOUND`).
     * Role: `reader`.
     * </pre>
     */
    public void getSignal(glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetSignalMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists stored candidates with filters and ordering, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public void listCandidates(glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListCandidatesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Full-text search over candidates' title, description and reasoning (and vector search when the server
     * has an embedding endpoint configured).
     * Role: `reader`.
     * </pre>
     */
    public void searchCandidates(glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSearchCandidatesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Records what really happened to a candidate, so verdict quality can be measured. `submitted_by` is the authenticated principal once
     * authentication is configured. Role: `operator`.
     * </pre>
     */
    public void submitFeedback(glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSubmitFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Counts, distributions and latencies of scoring, plus the service's health facts.
     * Role: `reader`.
     * </pre>
     */
    public void getScoringStats(glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetScoringStatsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public void listAuditEvents(glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service ScoringService.
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class ScoringServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<ScoringServiceBlockingV2Stub> {
    private ScoringServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ScoringServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ScoringServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Scores one signal. Idempotent on `signal.id`: a signal id that was already scored returns the stored
     * candidate (with `already_scored` set) unless `rescore` is set.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse score(glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getScoreMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Scores up to 1,000 signals in one call (the seed's batch endpoint). One invalid or failed signal never
     * fails the others: it is reported in `errors` and counted in `failed`.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse batchScore(glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getBatchScoreMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * The producer's bulk path. Bidirectional so results flow back while signals are still being sent: each
     * request frame carries 1 to 1,000 signals, each response frame 1 or more results (a candidate or a
     * per-item error), sent as soon as they are ready, out of order, correlated by `correlation_id` and
     * `sequence`. Frames carry batches because gRPC's cost is per message: on a 2-core machine Python gRPC
     * moves about 3.7k messages/s but about 70k signals/s at 100 signals per message. A frame of one signal
     * works too (handy with grpcurl).
     * Role: `producer`; `operator` for a frame with `rescore` set (the stream then ends with
     * `PERMISSION_DENIED`).
     * The server keeps a bounded number of signals in flight per stream and stops reading while that window
     * is full, so a producer that sends faster than results are consumed is slowed down by HTTP/2 flow
     * control. An invalid signal is answered with its own error result; the stream goes on. A result is sent
     * only after its candidate is durably stored. Cancelling the call stops the work of that stream.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse>
        scoreStream() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getScoreStreamMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Upload-only variant for producers that do not need results one by one: stream signal frames in, get
     * one summary out when the client half-closes. An upload that carries no signal at all is INVALID_ARGUMENT.
     * Role: `producer`; `operator` for a frame with `rescore` set.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest, glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse>
        scoreUpload() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getScoreUploadMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Returns one stored candidate by candidate id or by signal id (its latest version).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse getCandidate(glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetCandidateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns a signal as it was stored when received (author, engagement, raw content, comments...): the
     * latest one received with that id. An unknown id is `NOT_FOUND` (reason `SIGNAL_NOT_FOUND`).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse getSignal(glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetSignalMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists stored candidates with filters and ordering, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse listCandidates(glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListCandidatesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Full-text search over candidates' title, description and reasoning (and vector search when the server
     * has an embedding endpoint configured).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse searchCandidates(glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSearchCandidatesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Records what really happened to a candidate, so verdict quality can be measured. `submitted_by` is the authenticated principal once
     * authentication is configured. Role: `operator`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse submitFeedback(glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSubmitFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Counts, distributions and latencies of scoring, plus the service's health facts.
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse getScoringStats(glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetScoringStatsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse listAuditEvents(glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service ScoringService.
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class ScoringServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<ScoringServiceBlockingStub> {
    private ScoringServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ScoringServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ScoringServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Scores one signal. Idempotent on `signal.id`: a signal id that was already scored returns the stored
     * candidate (with `already_scored` set) unless `rescore` is set.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse score(glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getScoreMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Scores up to 1,000 signals in one call (the seed's batch endpoint). One invalid or failed signal never
     * fails the others: it is reported in `errors` and counted in `failed`.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse batchScore(glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getBatchScoreMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one stored candidate by candidate id or by signal id (its latest version).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse getCandidate(glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetCandidateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns a signal as it was stored when received (author, engagement, raw content, comments...): the
     * latest one received with that id. An unknown id is `NOT_FOUND` (reason `SIGNAL_NOT_FOUND`).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse getSignal(glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetSignalMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists stored candidates with filters and ordering, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse listCandidates(glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListCandidatesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Full-text search over candidates' title, description and reasoning (and vector search when the server
     * has an embedding endpoint configured).
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse searchCandidates(glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSearchCandidatesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Records what really happened to a candidate, so verdict quality can be measured. `submitted_by` is the authenticated principal once
     * authentication is configured. Role: `operator`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse submitFeedback(glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSubmitFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Counts, distributions and latencies of scoring, plus the service's health facts.
     * Role: `reader`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse getScoringStats(glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetScoringStatsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse listAuditEvents(glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service ScoringService.
   * <pre>
   * Turns signals into scored candidates and serves what was scored.
   * Errors follow the gRPC rich error model: the status carries a `google.rpc.ErrorInfo` (domain `glm3`,
   * an UPPER_SNAKE `reason`) and, for invalid input, a `google.rpc.BadRequest` with one field violation per
   * problem (field paths such as `signal.title` or `signals[3].engagement`). Both are declared in
   * `google/rpc/error_details.proto`, imported here so that a client that knows the service only by
   * reflection can decode them (also in the per-item `google.rpc.Status` of batches and streams).
   * Every request message is limited by the server's maximum receive size (default 16 MiB); a larger one is
   * refused with `RESOURCE_EXHAUSTED`.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class ScoringServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<ScoringServiceFutureStub> {
    private ScoringServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ScoringServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ScoringServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Scores one signal. Idempotent on `signal.id`: a signal id that was already scored returns the stored
     * candidate (with `already_scored` set) unless `rescore` is set.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse> score(
        glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getScoreMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Scores up to 1,000 signals in one call (the seed's batch endpoint). One invalid or failed signal never
     * fails the others: it is reported in `errors` and counted in `failed`.
     * Role: `producer`; `operator` when `rescore` is set.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse> batchScore(
        glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getBatchScoreMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one stored candidate by candidate id or by signal id (its latest version).
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse> getCandidate(
        glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetCandidateMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns a signal as it was stored when received (author, engagement, raw content, comments...): the
     * latest one received with that id. An unknown id is `NOT_FOUND` (reason `SIGNAL_NOT_FOUND`).
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse> getSignal(
        glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetSignalMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists stored candidates with filters and ordering, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse> listCandidates(
        glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListCandidatesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Full-text search over candidates' title, description and reasoning (and vector search when the server
     * has an embedding endpoint configured).
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse> searchCandidates(
        glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSearchCandidatesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Records what really happened to a candidate, so verdict quality can be measured. `submitted_by` is the authenticated principal once
     * authentication is configured. Role: `operator`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse> submitFeedback(
        glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSubmitFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Counts, distributions and latencies of scoring, plus the service's health facts.
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse> getScoringStats(
        glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetScoringStatsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse> listAuditEvents(
        glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_SCORE = 0;
  private static final int METHODID_BATCH_SCORE = 1;
  private static final int METHODID_GET_CANDIDATE = 2;
  private static final int METHODID_GET_SIGNAL = 3;
  private static final int METHODID_LIST_CANDIDATES = 4;
  private static final int METHODID_SEARCH_CANDIDATES = 5;
  private static final int METHODID_SUBMIT_FEEDBACK = 6;
  private static final int METHODID_GET_SCORING_STATS = 7;
  private static final int METHODID_LIST_AUDIT_EVENTS = 8;
  private static final int METHODID_SCORE_STREAM = 9;
  private static final int METHODID_SCORE_UPLOAD = 10;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_SCORE:
          serviceImpl.score((glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse>) responseObserver);
          break;
        case METHODID_BATCH_SCORE:
          serviceImpl.batchScore((glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse>) responseObserver);
          break;
        case METHODID_GET_CANDIDATE:
          serviceImpl.getCandidate((glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse>) responseObserver);
          break;
        case METHODID_GET_SIGNAL:
          serviceImpl.getSignal((glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse>) responseObserver);
          break;
        case METHODID_LIST_CANDIDATES:
          serviceImpl.listCandidates((glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse>) responseObserver);
          break;
        case METHODID_SEARCH_CANDIDATES:
          serviceImpl.searchCandidates((glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse>) responseObserver);
          break;
        case METHODID_SUBMIT_FEEDBACK:
          serviceImpl.submitFeedback((glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse>) responseObserver);
          break;
        case METHODID_GET_SCORING_STATS:
          serviceImpl.getScoringStats((glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse>) responseObserver);
          break;
        case METHODID_LIST_AUDIT_EVENTS:
          serviceImpl.listAuditEvents((glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest) request,
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_SCORE_STREAM:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.scoreStream(
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse>) responseObserver);
        case METHODID_SCORE_UPLOAD:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.scoreUpload(
              (io.grpc.stub.StreamObserver<glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getScoreMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreResponse>(
                service, METHODID_SCORE)))
        .addMethod(
          getBatchScoreMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.BatchScoreResponse>(
                service, METHODID_BATCH_SCORE)))
        .addMethod(
          getScoreStreamMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreStreamResponse>(
                service, METHODID_SCORE_STREAM)))
        .addMethod(
          getScoreUploadMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.ScoreUploadResponse>(
                service, METHODID_SCORE_UPLOAD)))
        .addMethod(
          getGetCandidateMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.GetCandidateResponse>(
                service, METHODID_GET_CANDIDATE)))
        .addMethod(
          getGetSignalMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.GetSignalRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.GetSignalResponse>(
                service, METHODID_GET_SIGNAL)))
        .addMethod(
          getListCandidatesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.ListCandidatesResponse>(
                service, METHODID_LIST_CANDIDATES)))
        .addMethod(
          getSearchCandidatesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.SearchCandidatesResponse>(
                service, METHODID_SEARCH_CANDIDATES)))
        .addMethod(
          getSubmitFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.SubmitFeedbackResponse>(
                service, METHODID_SUBMIT_FEEDBACK)))
        .addMethod(
          getGetScoringStatsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.GetScoringStatsResponse>(
                service, METHODID_GET_SCORING_STATS)))
        .addMethod(
          getListAuditEventsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsRequest,
              glm3.scoring.v1.ScoringServiceOuterClass.ListAuditEventsResponse>(
                service, METHODID_LIST_AUDIT_EVENTS)))
        .build();
  }

  private static abstract class ScoringServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ScoringServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return glm3.scoring.v1.ScoringServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ScoringService");
    }
  }

  private static final class ScoringServiceFileDescriptorSupplier
      extends ScoringServiceBaseDescriptorSupplier {
    ScoringServiceFileDescriptorSupplier() {}
  }

  private static final class ScoringServiceMethodDescriptorSupplier
      extends ScoringServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    ScoringServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ScoringServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ScoringServiceFileDescriptorSupplier())
              .addMethod(getScoreMethod())
              .addMethod(getBatchScoreMethod())
              .addMethod(getScoreStreamMethod())
              .addMethod(getScoreUploadMethod())
              .addMethod(getGetCandidateMethod())
              .addMethod(getGetSignalMethod())
              .addMethod(getListCandidatesMethod())
              .addMethod(getSearchCandidatesMethod())
              .addMethod(getSubmitFeedbackMethod())
              .addMethod(getGetScoringStatsMethod())
              .addMethod(getListAuditEventsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
