package io.snapshotkit.grpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.snapshotkit.grpc.internal.v1.CaptureMessage;
import io.snapshotkit.grpc.internal.v1.CaptureRequest;
import io.snapshotkit.grpc.internal.v1.CheckRequest;
import io.snapshotkit.grpc.internal.v1.CheckResponse;
import io.snapshotkit.grpc.internal.v1.GcRequest;
import io.snapshotkit.grpc.internal.v1.GcResponse;
import io.snapshotkit.grpc.internal.v1.TrackVolumesRequest;
import io.snapshotkit.grpc.internal.v1.UntrackVolumesResponse;
import io.snapshotkit.grpc.internal.v1.VolumesRequest;
import io.snapshotkit.grpc.internal.v1.VolumesResponse;
import io.snapshotkit.grpc.internal.v1.CaptureResponse;
import io.snapshotkit.grpc.internal.v1.DeleteRequest;
import io.snapshotkit.grpc.internal.v1.DeleteResponse;
import io.snapshotkit.grpc.internal.v1.DescribeRequest;
import io.snapshotkit.grpc.internal.v1.DescribeResponse;
import io.snapshotkit.grpc.internal.v1.DiffMessage;
import io.snapshotkit.grpc.internal.v1.DiffRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyResponse;
import io.snapshotkit.grpc.internal.v1.PreflightResponse;
import io.snapshotkit.grpc.internal.v1.RestoreMessage;
import io.snapshotkit.grpc.internal.v1.RestoreRequest;
import io.snapshotkit.grpc.internal.v1.RestoreResponse;
import io.snapshotkit.grpc.internal.v1.SizeOfRequest;
import io.snapshotkit.grpc.internal.v1.SizeOfResponse;
import io.snapshotkit.grpc.internal.v1.VerifyRequest;
import io.snapshotkit.grpc.internal.v1.VerifyResponse;
import java.util.List;

/**
 * The method table of the {@code snapshotkit.agent.v1.HostAgent} service, in one place: each
 * method's name, kind and protobuf marshallers, as {@code agent.proto} declares them (a test
 * checks the two agree). {@link AgentService} serves these descriptors and {@link RemoteHostAgent}
 * calls them; gRPC does the framing.
 *
 * <p><b>Thread-safety:</b> immutable constants.
 */
final class AgentMethods {
  /** The protocol's protobuf package; a breaking change gets a new one. */
  static final String PROTOCOL = "snapshotkit.agent.v1";
  /** The full service name. */
  static final String SERVICE = PROTOCOL + ".HostAgent";

  static final MethodDescriptor<CaptureRequest, CaptureResponse> CAPTURE =
      unary("Capture", CaptureRequest.getDefaultInstance(), CaptureResponse.getDefaultInstance());
  static final MethodDescriptor<DescribeRequest, DescribeResponse> DESCRIBE =
      unary("Describe", DescribeRequest.getDefaultInstance(), DescribeResponse.getDefaultInstance());
  static final MethodDescriptor<RestoreRequest, RestoreResponse> RESTORE =
      unary("Restore", RestoreRequest.getDefaultInstance(), RestoreResponse.getDefaultInstance());
  static final MethodDescriptor<RestoreRequest, PreflightResponse> PREFLIGHT =
      unary("Preflight", RestoreRequest.getDefaultInstance(), PreflightResponse.getDefaultInstance());
  static final MethodDescriptor<DeleteRequest, DeleteResponse> DELETE =
      unary("Delete", DeleteRequest.getDefaultInstance(), DeleteResponse.getDefaultInstance());
  static final MethodDescriptor<SizeOfRequest, SizeOfResponse> SIZE_OF =
      unary("SizeOf", SizeOfRequest.getDefaultInstance(), SizeOfResponse.getDefaultInstance());
  static final MethodDescriptor<DiffRequest, DiffMessage> DIFF = method(MethodType.SERVER_STREAMING,
      "Diff", DiffRequest.getDefaultInstance(), DiffMessage.getDefaultInstance());
  static final MethodDescriptor<IdentifyRequest, IdentifyResponse> IDENTIFY =
      unary("Identify", IdentifyRequest.getDefaultInstance(), IdentifyResponse.getDefaultInstance());

  static final MethodDescriptor<TrackVolumesRequest, VolumesResponse> TRACK_VOLUMES =
      unary("TrackVolumes", TrackVolumesRequest.getDefaultInstance(), VolumesResponse.getDefaultInstance());
  static final MethodDescriptor<VolumesRequest, VolumesResponse> VOLUMES =
      unary("Volumes", VolumesRequest.getDefaultInstance(), VolumesResponse.getDefaultInstance());
  static final MethodDescriptor<GcRequest, GcResponse> GC =
      unary("Gc", GcRequest.getDefaultInstance(), GcResponse.getDefaultInstance());
  static final MethodDescriptor<CheckRequest, CheckResponse> CHECK =
      unary("Check", CheckRequest.getDefaultInstance(), CheckResponse.getDefaultInstance());

  static final MethodDescriptor<VolumesRequest, UntrackVolumesResponse> UNTRACK_VOLUMES =
      unary("UntrackVolumes", VolumesRequest.getDefaultInstance(), UntrackVolumesResponse.getDefaultInstance());

  static final MethodDescriptor<VerifyRequest, VerifyResponse> VERIFY =
      unary("Verify", VerifyRequest.getDefaultInstance(), VerifyResponse.getDefaultInstance());

  static final MethodDescriptor<io.snapshotkit.grpc.internal.v1.ForkRequest, CaptureResponse> FORK =
      unary("Fork", io.snapshotkit.grpc.internal.v1.ForkRequest.getDefaultInstance(), CaptureResponse.getDefaultInstance());

  static final MethodDescriptor<CaptureRequest, CaptureMessage> CAPTURE_WITH_PROGRESS = method(
      MethodType.SERVER_STREAMING, "CaptureWithProgress", CaptureRequest.getDefaultInstance(),
      CaptureMessage.getDefaultInstance());
  static final MethodDescriptor<RestoreRequest, RestoreMessage> RESTORE_WITH_PROGRESS = method(
      MethodType.SERVER_STREAMING, "RestoreWithProgress", RestoreRequest.getDefaultInstance(),
      RestoreMessage.getDefaultInstance());

  /** Every method, in the order of {@code agent.proto}. */
  static final List<MethodDescriptor<?, ?>> ALL = List.of(CAPTURE, DESCRIBE, RESTORE, PREFLIGHT, DELETE, SIZE_OF, DIFF,
      IDENTIFY, TRACK_VOLUMES, VOLUMES, GC, CHECK, UNTRACK_VOLUMES, VERIFY, FORK,
      CAPTURE_WITH_PROGRESS, RESTORE_WITH_PROGRESS);

  /** The service with every method. */
  static final ServiceDescriptor SERVICE_DESCRIPTOR = serviceDescriptor();

  private AgentMethods() {}

  private static ServiceDescriptor serviceDescriptor() {
    ServiceDescriptor.Builder b = ServiceDescriptor.newBuilder(SERVICE);
    ALL.forEach(b::addMethod);
    return b.build();
  }

  private static <Q extends Message, A extends Message> MethodDescriptor<Q, A> unary(String name, Q request, A response) {
    return method(MethodType.UNARY, name, request, response);
  }

  private static <Q extends Message, A extends Message> MethodDescriptor<Q, A> method(
      MethodType type, String name, Q request, A response) {
    return MethodDescriptor.<Q, A>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}
