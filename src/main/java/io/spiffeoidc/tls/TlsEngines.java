package io.spiffeoidc.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.spiffeoidc.config.TlsParameters;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The two TLS engines HTTPS can run on, and what each supports of the configured key exchange groups.
 * BoringSSL takes groups per engine (SSL_set1_curves_list), under its own names; the JDK takes them per
 * engine through {@code SSLParameters.setNamedGroups}, which exists from Java 20 on. Neither is set
 * through the JDK's global jdk.tls.namedGroups, which would also change the service's outbound TLS.
 */
public final class TlsEngines {

    public enum Engine {
        BORING_SSL("BoringSSL"), JDK("the JDK TLS engine");

        private final String label;

        Engine(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** BoringSSL's spelling where it differs from the IANA name. */
    private static final Map<String, String> BORING_SSL_NAMES = Map.of("x25519", "X25519", "secp256r1", "P-256",
            "secp384r1", "P-384", "secp521r1", "P-521", "x448", "X448");

    private static final Optional<MethodHandle> SET_NAMED_GROUPS = namedGroupsMethod("setNamedGroups",
            MethodType.methodType(void.class, String[].class));
    private static final Optional<MethodHandle> GET_NAMED_GROUPS = namedGroupsMethod("getNamedGroups",
            MethodType.methodType(String[].class));

    private TlsEngines() {
    }

    /** The engine HTTPS runs on: BoringSSL when it is wanted and loads, the JDK's otherwise. */
    public static Engine inUse(boolean nativeEngine) {
        return nativeEngine && OpenSsl.isAvailable() ? Engine.BORING_SSL : Engine.JDK;
    }

    /** The groups as BoringSSL's SSL_CTX_set1_curves_list reads them, colon-separated. */
    public static String boringSslCurves(List<String> groups) {
        return groups.stream().map(group -> BORING_SSL_NAMES.getOrDefault(group, group)).collect(Collectors.joining(":"));
    }

    /** Sets the groups on one JDK engine's parameters; false on a JDK without SSLParameters.setNamedGroups. */
    public static boolean setNamedGroups(SSLParameters parameters, List<String> groups) {
        if (SET_NAMED_GROUPS.isEmpty()) {
            return false;
        }
        try {
            SET_NAMED_GROUPS.get().invokeExact(parameters, groups.toArray(String[]::new));
            return true;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One line for configured groups the engine in use cannot take: unknown to it, or (with the JDK engine)
     * a Java older than 20, which has no per-engine setting.
     */
    public static List<String> problems(boolean nativeEngine, List<String> groups) {
        if (groups.isEmpty()) {
            return List.of();
        }
        Engine engine = inUse(nativeEngine);
        String why = engine == Engine.BORING_SSL ? "" : nativeEngine ? " (BoringSSL did not load: "
                + OpenSsl.unavailabilityCause() + ")" : " (spiffe-oidc.tls.native-engine=false)";
        if (engine == Engine.JDK && (SET_NAMED_GROUPS.isEmpty() || GET_NAMED_GROUPS.isEmpty())) {
            return List.of(TlsParameters.GROUPS + ": needs Java 20 or later with " + engine.label() + why
                    + "; this is Java " + Runtime.version().feature());
        }
        List<String> unsupported = new ArrayList<>();
        try {
            for (String group : groups) {
                if (!(engine == Engine.BORING_SSL ? boringSslSupports(group) : jdkSupports(group))) {
                    unsupported.add(group);
                }
            }
        } catch (SSLException | NoSuchAlgorithmException e) {
            return List.of(TlsParameters.GROUPS + ": cannot check the groups against " + engine.label() + ": " + e);
        }
        if (unsupported.isEmpty()) {
            return List.of();
        }
        return List.of(TlsParameters.GROUPS + ": " + String.join(", ", unsupported)
                + (unsupported.size() == 1 ? " is" : " are") + " not supported by " + engine.label() + why);
    }

    /** Probes one group on a throwaway engine, as Vert.x probes X25519MLKEM768. */
    private static boolean boringSslSupports(String group) throws SSLException {
        SslContext context = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
        try {
            return SSL.setCurvesList(((ReferenceCountedOpenSslEngine) engine).sslPointer(), boringSslCurves(List.of(group)));
        } finally {
            ReferenceCountUtil.release(engine);
            ReferenceCountUtil.release(context);
        }
    }

    private static boolean jdkSupports(String group) throws NoSuchAlgorithmException {
        SSLParameters supported = SSLContext.getDefault().getSupportedSSLParameters();
        String[] names;
        try {
            names = (String[]) GET_NAMED_GROUPS.orElseThrow().invokeExact(supported);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        Set<String> lower = Arrays.stream(names == null ? new String[0] : names)
                .map(name -> name.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        return lower.contains(group.toLowerCase(Locale.ROOT));
    }

    private static Optional<MethodHandle> namedGroupsMethod(String name, MethodType type) {
        try {
            return Optional.of(MethodHandles.publicLookup().findVirtual(SSLParameters.class, name, type));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return Optional.empty(); // Java 17 to 19
        }
    }
}
