package io.spiffeoidc.source.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.grpc.MethodDescriptor;
import io.spiffeoidc.source.server.proto.BundleGrpc;
import io.spiffeoidc.source.server.proto.SpireBundleApi;
import io.spiffeoidc.source.server.proto.SpireBundleTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The service's SPIRE Server API definitions (src/main/proto/spire/...) against the SPIRE API SDK's, recorded
 * field by field in src/test/resources/wire/spire-api-sdk-bundle.fields with the SDK commit they come from
 * (no Java build of the SDK is published). Every method the service calls is on the SDK's path with the SDK's
 * messages; every field it declares has the SDK's number, type and label; every SDK field it leaves out is
 * listed as skipped with the reason.
 */
class ServerApiWireConformanceTest {

    private record Field(String message, String name, int number, String type, String label) {
    }

    private record Specification(Map<String, String[]> rpcs, Map<String, Field> fields, Set<String> skipped) {
    }

    private static Specification specification() throws IOException {
        Map<String, String[]> rpcs = new HashMap<>();
        Map<String, Field> fields = new HashMap<>();
        Set<String> skipped = new HashSet<>();
        try (InputStream in = ServerApiWireConformanceTest.class.getResourceAsStream("/wire/spire-api-sdk-bundle.fields")) {
            assertNotNull(in, "the recorded SDK definitions");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] part = line.strip().split(" ");
                switch (part[0]) {
                    case "rpc" -> rpcs.put(part[1], new String[] {part[2], part[3]});
                    case "field" -> fields.put(part[1] + "." + part[2],
                            new Field(part[1], part[2], Integer.parseInt(part[3]), part[4], part[5]));
                    case "skipped" -> skipped.add(part[1] + "." + part[2]);
                    default -> {
                    }
                }
            }
        }
        return new Specification(rpcs, fields, skipped);
    }

    @Test
    void everyMethodTheServiceCallsIsTheSdksOnItsPath() throws IOException {
        Specification sdk = specification();
        List<MethodDescriptor<?, ?>> methods = new ArrayList<>(List.of(BundleGrpc.getGetBundleMethod(),
                BundleGrpc.getListFederatedBundlesMethod(), BundleGrpc.getGetFederatedBundleMethod()));
        assertEquals(sdk.rpcs().size(), methods.size(), "every recorded method is one the service declares");
        for (MethodDescriptor<?, ?> method : methods) {
            String[] messages = sdk.rpcs().get(method.getFullMethodName());
            assertNotNull(messages, method.getFullMethodName() + " is not a method of the SDK: the server answers UNIMPLEMENTED");
            assertEquals(MethodDescriptor.MethodType.UNARY, method.getType(), method.getFullMethodName());
            com.google.protobuf.Descriptors.MethodDescriptor declared = SpireBundleApi.getDescriptor().findServiceByName("Bundle")
                    .findMethodByName(method.getBareMethodName());
            assertEquals(messages[0], declared.getInputType().getFullName(), method.getFullMethodName() + " request");
            assertEquals(messages[1], declared.getOutputType().getFullName(), method.getFullMethodName() + " response");
        }
    }

    @Test
    void everyFieldHasTheSdksNumberTypeAndLabel() throws IOException {
        Specification sdk = specification();
        Set<String> messages = new HashSet<>();
        sdk.fields().values().forEach(field -> messages.add(field.message()));
        int compared = 0;
        for (String name : messages) {
            Descriptor message = find(name);
            assertNotNull(message, name + " is not declared by the service");
            for (FieldDescriptor field : message.getFields()) {
                Field specified = sdk.fields().get(name + "." + field.getName());
                assertNotNull(specified, name + "." + field.getName() + " is not a field of the SDK");
                assertEquals(specified.number(), field.getNumber(), name + "." + field.getName() + " number");
                assertEquals(specified.type(), typeOf(field), name + "." + field.getName() + " type");
                assertEquals(specified.label(), field.isRepeated() ? "repeated" : "optional", name + "." + field.getName());
                compared++;
            }
            for (Field specified : sdk.fields().values()) {
                if (specified.message().equals(name) && message.findFieldByName(specified.name()) == null) {
                    assertTrue(sdk.skipped().contains(name + "." + specified.name()),
                            name + "." + specified.name() + " (field " + specified.number()
                                    + ") is left out without a recorded reason");
                }
            }
        }
        assertEquals(sdk.fields().size() - sdk.skipped().size(), compared, "every recorded field was compared");
    }

    private static Descriptor find(String fullName) {
        for (var file : List.of(SpireBundleTypes.getDescriptor(), SpireBundleApi.getDescriptor())) {
            for (Descriptor message : file.getMessageTypes()) {
                if (message.getFullName().equals(fullName)) {
                    return message;
                }
            }
        }
        return null;
    }

    private static String typeOf(FieldDescriptor field) {
        return field.getType() == FieldDescriptor.Type.MESSAGE ? field.getMessageType().getFullName()
                : field.getType().name().toLowerCase(Locale.ROOT);
    }
}
