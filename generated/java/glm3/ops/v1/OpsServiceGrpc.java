package glm3.ops.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
 * fix, escalates the rest, and learns from every resolution.
 * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
 * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
 * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
 * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
 * knows the service only by reflection can decode them.
 * Access: once the server is configured with authentication, every call carries a bearer token
 * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
 * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
 * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
 * `grpc.health.v1.Health` needs no credential.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class OpsServiceGrpc {

  private OpsServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "glm3.ops.v1.OpsService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest,
      glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> getCheckHealthMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckHealth",
      requestType = glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest,
      glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> getCheckHealthMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest, glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> getCheckHealthMethod;
    if ((getCheckHealthMethod = OpsServiceGrpc.getCheckHealthMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getCheckHealthMethod = OpsServiceGrpc.getCheckHealthMethod) == null) {
          OpsServiceGrpc.getCheckHealthMethod = getCheckHealthMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest, glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckHealth"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("CheckHealth"))
              .build();
        }
      }
    }
    return getCheckHealthMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest,
      glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> getWatchHealthMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchHealth",
      requestType = glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest,
      glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> getWatchHealthMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest, glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> getWatchHealthMethod;
    if ((getWatchHealthMethod = OpsServiceGrpc.getWatchHealthMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getWatchHealthMethod = OpsServiceGrpc.getWatchHealthMethod) == null) {
          OpsServiceGrpc.getWatchHealthMethod = getWatchHealthMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest, glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchHealth"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("WatchHealth"))
              .build();
        }
      }
    }
    return getWatchHealthMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest,
      glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> getDiagnoseMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Diagnose",
      requestType = glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest,
      glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> getDiagnoseMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest, glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> getDiagnoseMethod;
    if ((getDiagnoseMethod = OpsServiceGrpc.getDiagnoseMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getDiagnoseMethod = OpsServiceGrpc.getDiagnoseMethod) == null) {
          OpsServiceGrpc.getDiagnoseMethod = getDiagnoseMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest, glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Diagnose"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("Diagnose"))
              .build();
        }
      }
    }
    return getDiagnoseMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ResolveRequest,
      glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> getResolveMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Resolve",
      requestType = glm3.ops.v1.OpsServiceOuterClass.ResolveRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.ResolveResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ResolveRequest,
      glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> getResolveMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ResolveRequest, glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> getResolveMethod;
    if ((getResolveMethod = OpsServiceGrpc.getResolveMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getResolveMethod = OpsServiceGrpc.getResolveMethod) == null) {
          OpsServiceGrpc.getResolveMethod = getResolveMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.ResolveRequest, glm3.ops.v1.OpsServiceOuterClass.ResolveResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Resolve"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ResolveRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ResolveResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("Resolve"))
              .build();
        }
      }
    }
    return getResolveMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> getListRunbooksMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListRunbooks",
      requestType = glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> getListRunbooksMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest, glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> getListRunbooksMethod;
    if ((getListRunbooksMethod = OpsServiceGrpc.getListRunbooksMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getListRunbooksMethod = OpsServiceGrpc.getListRunbooksMethod) == null) {
          OpsServiceGrpc.getListRunbooksMethod = getListRunbooksMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest, glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListRunbooks"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("ListRunbooks"))
              .build();
        }
      }
    }
    return getListRunbooksMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> getListAlertsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAlerts",
      requestType = glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> getListAlertsMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest, glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> getListAlertsMethod;
    if ((getListAlertsMethod = OpsServiceGrpc.getListAlertsMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getListAlertsMethod = OpsServiceGrpc.getListAlertsMethod) == null) {
          OpsServiceGrpc.getListAlertsMethod = getListAlertsMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest, glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAlerts"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("ListAlerts"))
              .build();
        }
      }
    }
    return getListAlertsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest,
      glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> getWatchAlertsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchAlerts",
      requestType = glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest,
      glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> getWatchAlertsMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest, glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> getWatchAlertsMethod;
    if ((getWatchAlertsMethod = OpsServiceGrpc.getWatchAlertsMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getWatchAlertsMethod = OpsServiceGrpc.getWatchAlertsMethod) == null) {
          OpsServiceGrpc.getWatchAlertsMethod = getWatchAlertsMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest, glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchAlerts"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("WatchAlerts"))
              .build();
        }
      }
    }
    return getWatchAlertsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest,
      glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> getAcknowledgeAlertMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "AcknowledgeAlert",
      requestType = glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest,
      glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> getAcknowledgeAlertMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest, glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> getAcknowledgeAlertMethod;
    if ((getAcknowledgeAlertMethod = OpsServiceGrpc.getAcknowledgeAlertMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getAcknowledgeAlertMethod = OpsServiceGrpc.getAcknowledgeAlertMethod) == null) {
          OpsServiceGrpc.getAcknowledgeAlertMethod = getAcknowledgeAlertMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest, glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "AcknowledgeAlert"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("AcknowledgeAlert"))
              .build();
        }
      }
    }
    return getAcknowledgeAlertMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest,
      glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> getRecordResolutionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RecordResolution",
      requestType = glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest,
      glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> getRecordResolutionMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest, glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> getRecordResolutionMethod;
    if ((getRecordResolutionMethod = OpsServiceGrpc.getRecordResolutionMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getRecordResolutionMethod = OpsServiceGrpc.getRecordResolutionMethod) == null) {
          OpsServiceGrpc.getRecordResolutionMethod = getRecordResolutionMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest, glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RecordResolution"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("RecordResolution"))
              .build();
        }
      }
    }
    return getRecordResolutionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest,
      glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> getFindSimilarIssuesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FindSimilarIssues",
      requestType = glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest,
      glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> getFindSimilarIssuesMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest, glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> getFindSimilarIssuesMethod;
    if ((getFindSimilarIssuesMethod = OpsServiceGrpc.getFindSimilarIssuesMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getFindSimilarIssuesMethod = OpsServiceGrpc.getFindSimilarIssuesMethod) == null) {
          OpsServiceGrpc.getFindSimilarIssuesMethod = getFindSimilarIssuesMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest, glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FindSimilarIssues"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("FindSimilarIssues"))
              .build();
        }
      }
    }
    return getFindSimilarIssuesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest,
      glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> getGetAgentStatusMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetAgentStatus",
      requestType = glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest,
      glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> getGetAgentStatusMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest, glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> getGetAgentStatusMethod;
    if ((getGetAgentStatusMethod = OpsServiceGrpc.getGetAgentStatusMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getGetAgentStatusMethod = OpsServiceGrpc.getGetAgentStatusMethod) == null) {
          OpsServiceGrpc.getGetAgentStatusMethod = getGetAgentStatusMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest, glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetAgentStatus"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("GetAgentStatus"))
              .build();
        }
      }
    }
    return getGetAgentStatusMethod;
  }

  private static volatile io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAuditEvents",
      requestType = glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest.class,
      responseType = glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest,
      glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod() {
    io.grpc.MethodDescriptor<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest, glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> getListAuditEventsMethod;
    if ((getListAuditEventsMethod = OpsServiceGrpc.getListAuditEventsMethod) == null) {
      synchronized (OpsServiceGrpc.class) {
        if ((getListAuditEventsMethod = OpsServiceGrpc.getListAuditEventsMethod) == null) {
          OpsServiceGrpc.getListAuditEventsMethod = getListAuditEventsMethod =
              io.grpc.MethodDescriptor.<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest, glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAuditEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new OpsServiceMethodDescriptorSupplier("ListAuditEvents"))
              .build();
        }
      }
    }
    return getListAuditEventsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static OpsServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OpsServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OpsServiceStub>() {
        @java.lang.Override
        public OpsServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OpsServiceStub(channel, callOptions);
        }
      };
    return OpsServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static OpsServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OpsServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OpsServiceBlockingV2Stub>() {
        @java.lang.Override
        public OpsServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OpsServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return OpsServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static OpsServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OpsServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OpsServiceBlockingStub>() {
        @java.lang.Override
        public OpsServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OpsServiceBlockingStub(channel, callOptions);
        }
      };
    return OpsServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static OpsServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<OpsServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<OpsServiceFutureStub>() {
        @java.lang.Override
        public OpsServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new OpsServiceFutureStub(channel, callOptions);
        }
      };
    return OpsServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
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
     * Returns the latest result of every check (or of the named services), or runs them now.
     * Role: `reader`.
     * </pre>
     */
    default void checkHealth(glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckHealthMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams a result whenever a check's status changes, plus a heartbeat at a fixed interval. Server
     * streaming so a dashboard learns of a change as it happens instead of polling. The first frames are the
     * current result of every watched check. Role: `reader`.
     * </pre>
     */
    default void watchHealth(glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchHealthMethod(), responseObserver);
    }

    /**
     * <pre>
     * Explains a failing result or a free-text symptom. Suggested runbooks are only ones that apply to the
     * diagnosed issue; `suggested_action` is advice text, never run. Role: `reader`.
     * </pre>
     */
    default void diagnose(glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDiagnoseMethod(), responseObserver);
    }

    /**
     * <pre>
     * Runs a runbook for an issue (or shows what it would run, with `dry_run`). The resolution is recorded in
     * the learning store, with the authenticated principal as its author.
     * Role: `reader` with `dry_run`; `operator` to run the steps.
     * </pre>
     */
    default void resolve(glm3.ops.v1.OpsServiceOuterClass.ResolveRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResolveMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the declared runbooks.
     * Role: `reader`.
     * </pre>
     */
    default void listRunbooks(glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListRunbooksMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists alerts, newest first, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    default void listAlerts(glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAlertsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams every change of an alert (opened, re-notified, escalated, acknowledged, resolved). Server
     * streaming so an on-call tool hears of an alert at once.
     * Role: `reader`.
     * </pre>
     */
    default void watchAlerts(glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchAlertsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Marks an open alert as acknowledged: it is no longer re-notified, and it still resolves when the check
     * recovers. `acknowledged_by` is the authenticated principal once authentication is configured.
     * Role: `operator`.
     * </pre>
     */
    default void acknowledgeAlert(glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAcknowledgeAlertMethod(), responseObserver);
    }

    /**
     * <pre>
     * Stores a resolution in the learning store; `recorded_by` is the authenticated principal.
     * Role: `operator`.
     * </pre>
     */
    default void recordResolution(glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRecordResolutionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Finds past resolutions similar to a symptom, most similar first.
     * Role: `reader`.
     * </pre>
     */
    default void findSimilarIssues(glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFindSimilarIssuesMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns the agent's counters and escalation criteria.
     * Role: `reader`.
     * </pre>
     */
    default void getAgentStatus(glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetAgentStatusMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    default void listAuditEvents(glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAuditEventsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service OpsService.
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static abstract class OpsServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return OpsServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service OpsService.
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class OpsServiceStub
      extends io.grpc.stub.AbstractAsyncStub<OpsServiceStub> {
    private OpsServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OpsServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OpsServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Returns the latest result of every check (or of the named services), or runs them now.
     * Role: `reader`.
     * </pre>
     */
    public void checkHealth(glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCheckHealthMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams a result whenever a check's status changes, plus a heartbeat at a fixed interval. Server
     * streaming so a dashboard learns of a change as it happens instead of polling. The first frames are the
     * current result of every watched check. Role: `reader`.
     * </pre>
     */
    public void watchHealth(glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchHealthMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Explains a failing result or a free-text symptom. Suggested runbooks are only ones that apply to the
     * diagnosed issue; `suggested_action` is advice text, never run. Role: `reader`.
     * </pre>
     */
    public void diagnose(glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDiagnoseMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Runs a runbook for an issue (or shows what it would run, with `dry_run`). The resolution is recorded in
     * the learning store, with the authenticated principal as its author.
     * Role: `reader` with `dry_run`; `operator` to run the steps.
     * </pre>
     */
    public void resolve(glm3.ops.v1.OpsServiceOuterClass.ResolveRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResolveMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the declared runbooks.
     * Role: `reader`.
     * </pre>
     */
    public void listRunbooks(glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListRunbooksMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists alerts, newest first, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public void listAlerts(glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAlertsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams every change of an alert (opened, re-notified, escalated, acknowledged, resolved). Server
     * streaming so an on-call tool hears of an alert at once.
     * Role: `reader`.
     * </pre>
     */
    public void watchAlerts(glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchAlertsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Marks an open alert as acknowledged: it is no longer re-notified, and it still resolves when the check
     * recovers. `acknowledged_by` is the authenticated principal once authentication is configured.
     * Role: `operator`.
     * </pre>
     */
    public void acknowledgeAlert(glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAcknowledgeAlertMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Stores a resolution in the learning store; `recorded_by` is the authenticated principal.
     * Role: `operator`.
     * </pre>
     */
    public void recordResolution(glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRecordResolutionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Finds past resolutions similar to a symptom, most similar first.
     * Role: `reader`.
     * </pre>
     */
    public void findSimilarIssues(glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFindSimilarIssuesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns the agent's counters and escalation criteria.
     * Role: `reader`.
     * </pre>
     */
    public void getAgentStatus(glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetAgentStatusMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public void listAuditEvents(glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service OpsService.
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class OpsServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<OpsServiceBlockingV2Stub> {
    private OpsServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OpsServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OpsServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Returns the latest result of every check (or of the named services), or runs them now.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse checkHealth(glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCheckHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a result whenever a check's status changes, plus a heartbeat at a fixed interval. Server
     * streaming so a dashboard learns of a change as it happens instead of polling. The first frames are the
     * current result of every watched check. Role: `reader`.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse>
        watchHealth(glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Explains a failing result or a free-text symptom. Suggested runbooks are only ones that apply to the
     * diagnosed issue; `suggested_action` is advice text, never run. Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse diagnose(glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDiagnoseMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Runs a runbook for an issue (or shows what it would run, with `dry_run`). The resolution is recorded in
     * the learning store, with the authenticated principal as its author.
     * Role: `reader` with `dry_run`; `operator` to run the steps.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ResolveResponse resolve(glm3.ops.v1.OpsServiceOuterClass.ResolveRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResolveMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the declared runbooks.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse listRunbooks(glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListRunbooksMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists alerts, newest first, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse listAlerts(glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams every change of an alert (opened, re-notified, escalated, acknowledged, resolved). Server
     * streaming so an on-call tool hears of an alert at once.
     * Role: `reader`.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse>
        watchAlerts(glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Marks an open alert as acknowledged: it is no longer re-notified, and it still resolves when the check
     * recovers. `acknowledged_by` is the authenticated principal once authentication is configured.
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse acknowledgeAlert(glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getAcknowledgeAlertMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Stores a resolution in the learning store; `recorded_by` is the authenticated principal.
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse recordResolution(glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRecordResolutionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Finds past resolutions similar to a symptom, most similar first.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse findSimilarIssues(glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFindSimilarIssuesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns the agent's counters and escalation criteria.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse getAgentStatus(glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetAgentStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse listAuditEvents(glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service OpsService.
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class OpsServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<OpsServiceBlockingStub> {
    private OpsServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OpsServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OpsServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Returns the latest result of every check (or of the named services), or runs them now.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse checkHealth(glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCheckHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a result whenever a check's status changes, plus a heartbeat at a fixed interval. Server
     * streaming so a dashboard learns of a change as it happens instead of polling. The first frames are the
     * current result of every watched check. Role: `reader`.
     * </pre>
     */
    public java.util.Iterator<glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse> watchHealth(
        glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchHealthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Explains a failing result or a free-text symptom. Suggested runbooks are only ones that apply to the
     * diagnosed issue; `suggested_action` is advice text, never run. Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse diagnose(glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDiagnoseMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Runs a runbook for an issue (or shows what it would run, with `dry_run`). The resolution is recorded in
     * the learning store, with the authenticated principal as its author.
     * Role: `reader` with `dry_run`; `operator` to run the steps.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ResolveResponse resolve(glm3.ops.v1.OpsServiceOuterClass.ResolveRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResolveMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the declared runbooks.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse listRunbooks(glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListRunbooksMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists alerts, newest first, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse listAlerts(glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams every change of an alert (opened, re-notified, escalated, acknowledged, resolved). Server
     * streaming so an on-call tool hears of an alert at once.
     * Role: `reader`.
     * </pre>
     */
    public java.util.Iterator<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse> watchAlerts(
        glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Marks an open alert as acknowledged: it is no longer re-notified, and it still resolves when the check
     * recovers. `acknowledged_by` is the authenticated principal once authentication is configured.
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse acknowledgeAlert(glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAcknowledgeAlertMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Stores a resolution in the learning store; `recorded_by` is the authenticated principal.
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse recordResolution(glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRecordResolutionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Finds past resolutions similar to a symptom, most similar first.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse findSimilarIssues(glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFindSimilarIssuesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns the agent's counters and escalation criteria.
     * Role: `reader`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse getAgentStatus(glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetAgentStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse listAuditEvents(glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service OpsService.
   * <pre>
   * Watches the machines and services the pipeline depends on, explains what is wrong, fixes what is safe to
   * fix, escalates the rest, and learns from every resolution.
   * Errors follow the gRPC rich error model: `google.rpc.ErrorInfo` (domain `glm3`) and, for invalid input,
   * `google.rpc.BadRequest` field violations. Unknown runbooks or alerts are `NOT_FOUND`; unknown service names
   * in a request are `INVALID_ARGUMENT` with one field violation per name (reason `UNKNOWN_SERVICE`).
   * Both detail types are declared in `google/rpc/error_details.proto`, imported here so that a client that
   * knows the service only by reflection can decode them.
   * Access: once the server is configured with authentication, every call carries a bearer token
   * (`authorization: Bearer ...`) or a client certificate; no credential or an unknown one is
   * `UNAUTHENTICATED`, a principal without the role an RPC names below is `PERMISSION_DENIED` (ErrorInfo
   * reason `ROLE_REQUIRED`, metadata `required_role`). `operator` includes `reader`.
   * `grpc.health.v1.Health` needs no credential.
   * </pre>
   */
  public static final class OpsServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<OpsServiceFutureStub> {
    private OpsServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected OpsServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new OpsServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Returns the latest result of every check (or of the named services), or runs them now.
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse> checkHealth(
        glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckHealthMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Explains a failing result or a free-text symptom. Suggested runbooks are only ones that apply to the
     * diagnosed issue; `suggested_action` is advice text, never run. Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse> diagnose(
        glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDiagnoseMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Runs a runbook for an issue (or shows what it would run, with `dry_run`). The resolution is recorded in
     * the learning store, with the authenticated principal as its author.
     * Role: `reader` with `dry_run`; `operator` to run the steps.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.ResolveResponse> resolve(
        glm3.ops.v1.OpsServiceOuterClass.ResolveRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResolveMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the declared runbooks.
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse> listRunbooks(
        glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListRunbooksMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists alerts, newest first, paged (AIP-158).
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse> listAlerts(
        glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAlertsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Marks an open alert as acknowledged: it is no longer re-notified, and it still resolves when the check
     * recovers. `acknowledged_by` is the authenticated principal once authentication is configured.
     * Role: `operator`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse> acknowledgeAlert(
        glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAcknowledgeAlertMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Stores a resolution in the learning store; `recorded_by` is the authenticated principal.
     * Role: `operator`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse> recordResolution(
        glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRecordResolutionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Finds past resolutions similar to a symptom, most similar first.
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse> findSimilarIssues(
        glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFindSimilarIssuesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns the agent's counters and escalation criteria.
     * Role: `reader`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse> getAgentStatus(
        glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetAgentStatusMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists audit events (every call that changed state, every denied call), newest first, paged (AIP-158).
     * Role: `operator`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse> listAuditEvents(
        glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHECK_HEALTH = 0;
  private static final int METHODID_WATCH_HEALTH = 1;
  private static final int METHODID_DIAGNOSE = 2;
  private static final int METHODID_RESOLVE = 3;
  private static final int METHODID_LIST_RUNBOOKS = 4;
  private static final int METHODID_LIST_ALERTS = 5;
  private static final int METHODID_WATCH_ALERTS = 6;
  private static final int METHODID_ACKNOWLEDGE_ALERT = 7;
  private static final int METHODID_RECORD_RESOLUTION = 8;
  private static final int METHODID_FIND_SIMILAR_ISSUES = 9;
  private static final int METHODID_GET_AGENT_STATUS = 10;
  private static final int METHODID_LIST_AUDIT_EVENTS = 11;

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
        case METHODID_CHECK_HEALTH:
          serviceImpl.checkHealth((glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse>) responseObserver);
          break;
        case METHODID_WATCH_HEALTH:
          serviceImpl.watchHealth((glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse>) responseObserver);
          break;
        case METHODID_DIAGNOSE:
          serviceImpl.diagnose((glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse>) responseObserver);
          break;
        case METHODID_RESOLVE:
          serviceImpl.resolve((glm3.ops.v1.OpsServiceOuterClass.ResolveRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ResolveResponse>) responseObserver);
          break;
        case METHODID_LIST_RUNBOOKS:
          serviceImpl.listRunbooks((glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse>) responseObserver);
          break;
        case METHODID_LIST_ALERTS:
          serviceImpl.listAlerts((glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse>) responseObserver);
          break;
        case METHODID_WATCH_ALERTS:
          serviceImpl.watchAlerts((glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse>) responseObserver);
          break;
        case METHODID_ACKNOWLEDGE_ALERT:
          serviceImpl.acknowledgeAlert((glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse>) responseObserver);
          break;
        case METHODID_RECORD_RESOLUTION:
          serviceImpl.recordResolution((glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse>) responseObserver);
          break;
        case METHODID_FIND_SIMILAR_ISSUES:
          serviceImpl.findSimilarIssues((glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse>) responseObserver);
          break;
        case METHODID_GET_AGENT_STATUS:
          serviceImpl.getAgentStatus((glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse>) responseObserver);
          break;
        case METHODID_LIST_AUDIT_EVENTS:
          serviceImpl.listAuditEvents((glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest) request,
              (io.grpc.stub.StreamObserver<glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse>) responseObserver);
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
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCheckHealthMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.CheckHealthRequest,
              glm3.ops.v1.OpsServiceOuterClass.CheckHealthResponse>(
                service, METHODID_CHECK_HEALTH)))
        .addMethod(
          getWatchHealthMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.WatchHealthRequest,
              glm3.ops.v1.OpsServiceOuterClass.WatchHealthResponse>(
                service, METHODID_WATCH_HEALTH)))
        .addMethod(
          getDiagnoseMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.DiagnoseRequest,
              glm3.ops.v1.OpsServiceOuterClass.DiagnoseResponse>(
                service, METHODID_DIAGNOSE)))
        .addMethod(
          getResolveMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.ResolveRequest,
              glm3.ops.v1.OpsServiceOuterClass.ResolveResponse>(
                service, METHODID_RESOLVE)))
        .addMethod(
          getListRunbooksMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.ListRunbooksRequest,
              glm3.ops.v1.OpsServiceOuterClass.ListRunbooksResponse>(
                service, METHODID_LIST_RUNBOOKS)))
        .addMethod(
          getListAlertsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.ListAlertsRequest,
              glm3.ops.v1.OpsServiceOuterClass.ListAlertsResponse>(
                service, METHODID_LIST_ALERTS)))
        .addMethod(
          getWatchAlertsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.WatchAlertsRequest,
              glm3.ops.v1.OpsServiceOuterClass.WatchAlertsResponse>(
                service, METHODID_WATCH_ALERTS)))
        .addMethod(
          getAcknowledgeAlertMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertRequest,
              glm3.ops.v1.OpsServiceOuterClass.AcknowledgeAlertResponse>(
                service, METHODID_ACKNOWLEDGE_ALERT)))
        .addMethod(
          getRecordResolutionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.RecordResolutionRequest,
              glm3.ops.v1.OpsServiceOuterClass.RecordResolutionResponse>(
                service, METHODID_RECORD_RESOLUTION)))
        .addMethod(
          getFindSimilarIssuesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesRequest,
              glm3.ops.v1.OpsServiceOuterClass.FindSimilarIssuesResponse>(
                service, METHODID_FIND_SIMILAR_ISSUES)))
        .addMethod(
          getGetAgentStatusMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusRequest,
              glm3.ops.v1.OpsServiceOuterClass.GetAgentStatusResponse>(
                service, METHODID_GET_AGENT_STATUS)))
        .addMethod(
          getListAuditEventsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsRequest,
              glm3.ops.v1.OpsServiceOuterClass.ListAuditEventsResponse>(
                service, METHODID_LIST_AUDIT_EVENTS)))
        .build();
  }

  private static abstract class OpsServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    OpsServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return glm3.ops.v1.OpsServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("OpsService");
    }
  }

  private static final class OpsServiceFileDescriptorSupplier
      extends OpsServiceBaseDescriptorSupplier {
    OpsServiceFileDescriptorSupplier() {}
  }

  private static final class OpsServiceMethodDescriptorSupplier
      extends OpsServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    OpsServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (OpsServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new OpsServiceFileDescriptorSupplier())
              .addMethod(getCheckHealthMethod())
              .addMethod(getWatchHealthMethod())
              .addMethod(getDiagnoseMethod())
              .addMethod(getResolveMethod())
              .addMethod(getListRunbooksMethod())
              .addMethod(getListAlertsMethod())
              .addMethod(getWatchAlertsMethod())
              .addMethod(getAcknowledgeAlertMethod())
              .addMethod(getRecordResolutionMethod())
              .addMethod(getFindSimilarIssuesMethod())
              .addMethod(getGetAgentStatusMethod())
              .addMethod(getListAuditEventsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
