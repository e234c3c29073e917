package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.snapshotkit.grpc.internal.v1.AgentProto;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The method table in AgentMethods is exactly the service agent.proto declares. */
class AgentMethodsTest {
  @Test
  @DisplayName("every rpc of agent.proto has a descriptor with its name, streaming kind and message types, and no other")
  void tableMatchesTheProto() {
    Descriptors.ServiceDescriptor service = AgentProto.getDescriptor().findServiceByName("HostAgent");
    assertEquals(AgentMethods.SERVICE, service.getFullName());
    assertEquals(AgentMethods.PROTOCOL, AgentProto.getDescriptor().getPackage());
    List<Descriptors.MethodDescriptor> declared = service.getMethods();
    assertEquals(declared.size(), AgentMethods.ALL.size());
    for (int i = 0; i < declared.size(); i++) {
      Descriptors.MethodDescriptor proto = declared.get(i);
      MethodDescriptor<?, ?> java = AgentMethods.ALL.get(i);
      assertEquals(AgentMethods.SERVICE + "/" + proto.getName(), java.getFullMethodName());
      assertEquals(proto.isServerStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING : MethodDescriptor.MethodType.UNARY,
          java.getType(), proto.getName());
      assertEquals(proto.getInputType().getFullName(), messageName(java.getRequestMarshaller()), proto.getName());
      assertEquals(proto.getOutputType().getFullName(), messageName(java.getResponseMarshaller()), proto.getName());
    }
    assertEquals(AgentMethods.ALL.size(), AgentMethods.SERVICE_DESCRIPTOR.getMethods().size());
  }

  private static String messageName(MethodDescriptor.Marshaller<?> marshaller) {
    return ((com.google.protobuf.Message) ((MethodDescriptor.PrototypeMarshaller<?>) marshaller).getMessagePrototype())
        .getDescriptorForType().getFullName();
  }
}
