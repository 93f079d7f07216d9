package io.spiffeoidc.source.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.spiffe.workloadapi.grpc.Workload;
import io.spiffeoidc.source.workload.proto.JWTBundlesRequest;
import io.spiffeoidc.source.workload.proto.JWTBundlesResponse;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import io.spiffeoidc.source.workload.proto.WorkloadApiProto;
import io.spiffeoidc.source.workload.proto.X509BundlesRequest;
import io.spiffeoidc.source.workload.proto.X509BundlesResponse;
import io.spiffeoidc.source.workload.proto.X509SVIDRequest;
import io.spiffeoidc.source.workload.proto.X509SVIDResponse;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The service's Workload API definition (src/main/proto/spiffe/workload/workload.proto) against an independent
 * build of the specification: the classes java-spiffe generates from its copy of the SPIFFE definition. Every
 * method the service calls and every message those methods carry is compared field by field, number, name,
 * type and label, so that a field the service declares at the wrong number (as the X.509 bundles once were, at
 * 1 instead of 2) fails here rather than as a bundle endpoint that never serves against a real agent. The fake
 * agent speaks java-spiffe's definition too, so the other tests would catch it as well, but without saying why.
 */
class WireConformanceTest {

    private static final ServiceDescriptor SERVICE = WorkloadApiProto.getDescriptor().findServiceByName("SpiffeWorkloadAPI");
    private static final ServiceDescriptor SPECIFICATION = Workload.getDescriptor().findServiceByName("SpiffeWorkloadAPI");

    @Test
    void theServiceCallsTheSpecificationsMethodsOnTheirPaths() {
        assertNotNull(SERVICE, "workload.proto declares no SpiffeWorkloadAPI");
        assertNotNull(SPECIFICATION);
        io.grpc.ServiceDescriptor ours = SpiffeWorkloadAPIGrpc.getServiceDescriptor();
        io.grpc.ServiceDescriptor theirs = io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc.getServiceDescriptor();
        assertEquals(theirs.getName(), ours.getName(), "the service name, which is the first part of every method path");
        Map<String, io.grpc.MethodDescriptor<?, ?>> byPath = theirs.getMethods().stream()
                .collect(Collectors.toMap(io.grpc.MethodDescriptor::getFullMethodName, Function.identity()));
        for (io.grpc.MethodDescriptor<?, ?> method : ours.getMethods()) {
            io.grpc.MethodDescriptor<?, ?> specified = byPath.get(method.getFullMethodName());
            assertNotNull(specified, method.getFullMethodName() + " is no method of the specification; an agent answers UNIMPLEMENTED");
            assertEquals(specified.getType(), method.getType(), method.getFullMethodName());
        }
        // The two calls WorkloadApiSource makes, spelled out: a path is what the agent dispatches on.
        assertEquals("SpiffeWorkloadAPI/FetchJWTBundles", SpiffeWorkloadAPIGrpc.getFetchJWTBundlesMethod().getFullMethodName());
        assertEquals("SpiffeWorkloadAPI/FetchX509Bundles", SpiffeWorkloadAPIGrpc.getFetchX509BundlesMethod().getFullMethodName());
        assertEquals(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING, SpiffeWorkloadAPIGrpc.getFetchJWTBundlesMethod().getType());
        assertEquals(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING, SpiffeWorkloadAPIGrpc.getFetchX509BundlesMethod().getType());
        assertEquals("SpiffeWorkloadAPI/FetchX509SVID", SpiffeWorkloadAPIGrpc.getFetchX509SVIDMethod().getFullMethodName());
        assertEquals(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING, SpiffeWorkloadAPIGrpc.getFetchX509SVIDMethod().getType());
    }

    @Test
    void everyMessageOfThoseMethodsMatchesTheSpecificationFieldByField() {
        List<String> problems = new ArrayList<>();
        Set<String> compared = new LinkedHashSet<>();
        for (MethodDescriptor method : SERVICE.getMethods()) {
            MethodDescriptor specified = SPECIFICATION.findMethodByName(method.getName());
            if (specified == null) {
                problems.add(method.getName() + ": no such method in the specification");
                continue;
            }
            if (method.isServerStreaming() != specified.isServerStreaming() || method.isClientStreaming() != specified.isClientStreaming()) {
                problems.add(method.getName() + ": streaming " + streaming(method) + ", the specification's " + streaming(specified));
            }
            compare(method.getInputType(), specified.getInputType(), problems, compared);
            compare(method.getOutputType(), specified.getOutputType(), problems, compared);
        }
        assertTrue(problems.isEmpty(), "workload.proto differs from the specification:\n" + String.join("\n", problems));
        assertEquals(Set.of("JWTBundlesRequest", "JWTBundlesResponse", "X509BundlesRequest", "X509BundlesResponse",
                "X509SVIDRequest", "X509SVIDResponse", "X509SVID"),
                compared.stream().filter(name -> !name.endsWith("Entry")).collect(Collectors.toSet()),
                "the messages the service reads and writes, all compared");
        // The classes WorkloadApiSource uses are the ones compared above.
        assertSame(JWTBundlesRequest.getDescriptor(), SERVICE.findMethodByName("FetchJWTBundles").getInputType());
        assertSame(JWTBundlesResponse.getDescriptor(), SERVICE.findMethodByName("FetchJWTBundles").getOutputType());
        assertSame(X509BundlesRequest.getDescriptor(), SERVICE.findMethodByName("FetchX509Bundles").getInputType());
        assertSame(X509BundlesResponse.getDescriptor(), SERVICE.findMethodByName("FetchX509Bundles").getOutputType());
        assertSame(X509SVIDRequest.getDescriptor(), SERVICE.findMethodByName("FetchX509SVID").getInputType());
        assertSame(X509SVIDResponse.getDescriptor(), SERVICE.findMethodByName("FetchX509SVID").getOutputType());
    }

    @Test
    void anAgentsX509SvidMessageReadsAsTheSameSvidChainAndKey() throws Exception {
        TestPki trustDomain = TestPki.newCa();
        TestPki.Leaf svid = trustDomain.issueSvid("spiffe://example.org/oidc-provider");
        Workload.X509SVIDResponse sent = Workload.X509SVIDResponse.newBuilder()
                .addSvids(Workload.X509SVID.newBuilder()
                        .setSpiffeId("spiffe://example.org/oidc-provider")
                        .setX509Svid(ByteString.copyFrom(TestPki.der(svid.certificate())))
                        .setX509SvidKey(ByteString.copyFrom(svid.keys().getPrivate().getEncoded()))
                        .setBundle(ByteString.copyFrom(TestPki.der(trustDomain.caCertificate())))
                        .setHint("external"))
                .addCrl(ByteString.copyFrom(TestPki.crl("example.org CA").getEncoded()))
                .putFederatedBundles("spiffe://partner.example", ByteString.copyFrom(TestPki.der(TestPki.authority("partner"))))
                .build();

        X509SVIDResponse read = X509SVIDResponse.parseFrom(sent.toByteArray());

        assertEquals(1, read.getSvidsCount());
        assertEquals("spiffe://example.org/oidc-provider", read.getSvids(0).getSpiffeId());
        assertEquals(sent.getSvids(0).getX509Svid(), read.getSvids(0).getX509Svid());
        assertEquals(sent.getSvids(0).getX509SvidKey(), read.getSvids(0).getX509SvidKey());
        assertTrue(read.getUnknownFields().asMap().isEmpty(), "fields the service would drop: " + read.getUnknownFields());
        assertEquals(Workload.X509SVIDRequest.getDefaultInstance(),
                Workload.X509SVIDRequest.parseFrom(X509SVIDRequest.getDefaultInstance().toByteArray()));
    }

    @Test
    void anAgentsX509MessageWithACrlReadsAsTheSameBundleMap() throws Exception {
        byte[] primary = TestPki.concatenated(TestPki.authority("example.org CA"), TestPki.authority("example.org CA next"));
        byte[] partner = TestPki.concatenated(TestPki.authority("partner.example CA"));
        byte[] crl = TestPki.crl("example.org CA").getEncoded();
        Workload.X509BundlesResponse sent = Workload.X509BundlesResponse.newBuilder()
                .addCrl(ByteString.copyFrom(crl))
                .putBundles("spiffe://example.org", ByteString.copyFrom(primary))
                .putBundles("spiffe://partner.example", ByteString.copyFrom(partner))
                .build();

        X509BundlesResponse read = X509BundlesResponse.parseFrom(sent.toByteArray());

        assertEquals(new TreeMap<>(sent.getBundlesMap()), new TreeMap<>(read.getBundlesMap()));
        assertTrue(read.getUnknownFields().asMap().isEmpty(), "fields the service would drop: " + read.getUnknownFields());
    }

    @Test
    void anAgentsJwtMessageReadsAsTheSameBundleMap() throws Exception {
        Workload.JWTBundlesResponse sent = Workload.JWTBundlesResponse.newBuilder()
                .putBundles("spiffe://example.org", ByteString.copyFrom(TestBundles.jwks(TestBundles.ec("k1")), StandardCharsets.UTF_8))
                .putBundles("spiffe://partner.example", ByteString.copyFrom(TestBundles.jwks(TestBundles.ec("k2")), StandardCharsets.UTF_8))
                .build();

        JWTBundlesResponse read = JWTBundlesResponse.parseFrom(sent.toByteArray());

        assertEquals(new TreeMap<>(sent.getBundlesMap()), new TreeMap<>(read.getBundlesMap()));
        assertTrue(read.getUnknownFields().asMap().isEmpty(), "fields the service would drop: " + read.getUnknownFields());
    }

    @Test
    void theRequestsTheServiceSendsReadAsTheSpecificationsRequests() throws Exception {
        Workload.JWTBundlesRequest jwt = Workload.JWTBundlesRequest.parseFrom(JWTBundlesRequest.getDefaultInstance().toByteArray());
        Workload.X509BundlesRequest x509 = Workload.X509BundlesRequest.parseFrom(X509BundlesRequest.getDefaultInstance().toByteArray());
        assertEquals(Workload.JWTBundlesRequest.getDefaultInstance(), jwt);
        assertEquals(Workload.X509BundlesRequest.getDefaultInstance(), x509);
    }

    /**
     * Both ways: a field declared here that the specification has at another number (or not at all) is read from
     * the wrong place, and a field of the specification missing here is dropped unread (or, where the service's
     * own field sits at that number, misread).
     */
    private static void compare(Descriptor ours, Descriptor theirs, List<String> problems, Set<String> compared) {
        if (!compared.add(ours.getFullName())) {
            return;
        }
        if (!ours.getFullName().equals(theirs.getFullName())) {
            problems.add(ours.getFullName() + ": the specification's message is " + theirs.getFullName());
        }
        for (FieldDescriptor field : ours.getFields()) {
            FieldDescriptor specified = theirs.findFieldByNumber(field.getNumber());
            if (specified == null) {
                problems.add(ours.getName() + "." + field.getName() + " = " + field.getNumber() + ": the specification has no field "
                        + field.getNumber() + (theirs.findFieldByName(field.getName()) == null ? ""
                                : " (its " + field.getName() + " is " + theirs.findFieldByName(field.getName()).getNumber() + ")"));
                continue;
            }
            if (!shape(field).equals(shape(specified))) {
                problems.add(ours.getName() + " field " + field.getNumber() + ": here " + shape(field) + ", in the specification "
                        + shape(specified));
            } else if (field.getType() == FieldDescriptor.Type.MESSAGE) {
                compare(field.getMessageType(), specified.getMessageType(), problems, compared);
            }
        }
        for (FieldDescriptor specified : theirs.getFields()) {
            if (ours.findFieldByNumber(specified.getNumber()) == null) {
                problems.add(ours.getName() + ": the specification's field " + shape(specified) + " is not declared here");
            }
        }
    }

    /** The name, number, wire type and label of a field: "map<string, bytes> bundles = 2". */
    private static String shape(FieldDescriptor field) {
        String type;
        if (field.isMapField()) {
            Descriptor entry = field.getMessageType();
            type = "map<" + typeName(entry.findFieldByNumber(1)) + ", " + typeName(entry.findFieldByNumber(2)) + ">";
        } else {
            type = (field.isRepeated() ? "repeated " : "") + typeName(field);
        }
        return type + " " + field.getName() + " = " + field.getNumber();
    }

    private static String typeName(FieldDescriptor field) {
        return switch (field.getType()) {
            case MESSAGE, GROUP -> field.getMessageType().getFullName();
            case ENUM -> field.getEnumType().getFullName();
            default -> field.getType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String streaming(MethodDescriptor method) {
        return "client " + method.isClientStreaming() + ", server " + method.isServerStreaming();
    }
}
