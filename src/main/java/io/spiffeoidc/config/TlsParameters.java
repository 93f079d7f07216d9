package io.spiffeoidc.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The public listener's TLS parameters: the lowest protocol version, the TLS 1.2 cipher suites and the key
 * exchange groups, parsed and checked once. Only what every engine can honour the same way is accepted:
 * TLS 1.2 and 1.3, forward-secret ECDHE suites with an AEAD cipher, and groups by their IANA names. Which of
 * the groups the engine in use supports is a fact of that engine, checked by
 * {@code io.spiffeoidc.tls.TlsEngines} at start.
 *
 * @param tls12Allowed whether TLS 1.2 is accepted besides TLS 1.3 (quarkus.tls.public.protocols)
 * @param cipherSuites the TLS 1.2 suites accepted, IANA names in the configured order; empty: the engine's
 *                     defaults. Always empty when TLS 1.3 is the minimum (TLS 1.3 suites are not configurable)
 * @param groups       the key exchange groups, IANA names in order of preference; empty: the engine's defaults
 * @param suitesIgnored cipher suites were configured, but TLS 1.3 is the minimum, so they are not used
 */
public record TlsParameters(boolean tls12Allowed, List<String> cipherSuites, List<String> groups, boolean suitesIgnored) {

    public static final String PROTOCOLS = "quarkus.tls.public.protocols";
    public static final String CIPHER_SUITES = "quarkus.tls.public.cipher-suites";
    public static final String GROUPS = "spiffe-oidc.tls.groups";

    /** The TLS 1.2 suites allowed: ECDHE key exchange (forward secret) and an AEAD cipher, as Go and BoringSSL offer. */
    public static final List<String> TLS12_SUITES = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** TLS 1.3's suites: always on; listed ones are accepted and change nothing. */
    public static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    /** A name shaped like a TLS or SSL cipher suite: known, but not one of the allowed ones. */
    private static final Pattern SUITE_SHAPE = Pattern.compile("(TLS|SSL)_[A-Z0-9_]+_WITH_[A-Z0-9_]+");

    /** Classical groups, by IANA name. */
    private static final List<String> CLASSICAL_GROUPS = List.of("x25519", "secp256r1", "secp384r1", "secp521r1", "x448");

    /** Hybrid post-quantum groups: TLS 1.3 only. */
    public static final List<String> HYBRID_GROUPS = List.of("X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024");

    private static final Map<String, String> GROUP_NAMES = new LinkedHashMap<>();

    static {
        CLASSICAL_GROUPS.forEach(name -> GROUP_NAMES.put(name.toLowerCase(Locale.ROOT), name));
        HYBRID_GROUPS.forEach(name -> GROUP_NAMES.put(name.toLowerCase(Locale.ROOT), name));
    }

    public TlsParameters {
        cipherSuites = List.copyOf(cipherSuites);
        groups = List.copyOf(groups);
    }

    /** TLS 1.3 and 1.2, the engines' default suites and groups. */
    public static TlsParameters defaults() {
        return new TlsParameters(true, List.of(), List.of(), false);
    }

    /** The canonical name of a group, whatever its case; empty if it is not one this service knows. */
    public static Optional<String> groupName(String name) {
        return Optional.ofNullable(GROUP_NAMES.get(name.trim().toLowerCase(Locale.ROOT)));
    }

    public static boolean isHybrid(String group) {
        return HYBRID_GROUPS.contains(group);
    }

    /**
     * The parameters the three settings describe, or empty after adding one line per problem (each starting
     * with the property name).
     */
    static Optional<TlsParameters> check(Optional<List<String>> protocols, Optional<List<String>> cipherSuites,
            Optional<List<String>> groups, List<String> problems) {
        int before = problems.size();
        boolean tls12 = tls12Allowed(protocols.orElse(List.of("TLSv1.3", "TLSv1.2")), problems);
        List<String> suites = cipherSuites(cipherSuites.orElse(List.of()), problems);
        List<String> groupNames = groups(groups.orElse(List.of()), problems);
        if (problems.size() > before) {
            return Optional.empty();
        }
        if (tls12 && !groupNames.isEmpty() && groupNames.stream().allMatch(TlsParameters::isHybrid)) {
            problems.add(GROUPS + ": " + String.join(",", groupNames) + " are TLS 1.3-only (hybrid ML-KEM) groups, but "
                    + PROTOCOLS + " allows TLSv1.2, whose clients could never complete a handshake; add a classical group"
                    + " (x25519, secp256r1) or set " + PROTOCOLS + "=TLSv1.3");
            return Optional.empty();
        }
        List<String> tls12Suites = suites.stream().filter(TLS12_SUITES::contains).toList();
        if (tls12 && !suites.isEmpty() && tls12Suites.isEmpty()) {
            problems.add(CIPHER_SUITES + ": lists only TLS 1.3 suites, which are always on and not configurable; list"
                    + " the TLS 1.2 suites to accept (" + String.join(", ", TLS12_SUITES) + ") or leave it unset");
            return Optional.empty();
        }
        return Optional.of(new TlsParameters(tls12, tls12 ? tls12Suites : List.of(), groupNames, !tls12 && !suites.isEmpty()));
    }

    private static boolean tls12Allowed(List<String> protocols, List<String> problems) {
        Set<String> versions = new LinkedHashSet<>();
        for (String protocol : protocols) {
            String name = protocol.trim();
            switch (name) {
                case "TLSv1.3", "TLSv1.2" -> versions.add(name);
                case "TLSv1", "TLSv1.0", "TLSv1.1", "SSLv3", "SSLv2Hello" -> {
                    problems.add(PROTOCOLS + ": " + name + " is below TLS 1.2; use TLSv1.3,TLSv1.2 or TLSv1.3");
                    return true;
                }
                default -> {
                    problems.add(PROTOCOLS + ": \"" + name + "\" is not TLSv1.3 or TLSv1.2");
                    return true;
                }
            }
        }
        if (versions.isEmpty()) {
            problems.add(PROTOCOLS + ": must list TLSv1.3, TLSv1.2 or both");
        }
        return versions.contains("TLSv1.2");
    }

    private static List<String> cipherSuites(List<String> configured, List<String> problems) {
        List<String> suites = new ArrayList<>();
        for (String suite : configured) {
            String name = suite.trim();
            if (TLS12_SUITES.contains(name) || TLS13_SUITES.contains(name)) {
                if (!suites.contains(name)) {
                    suites.add(name);
                }
            } else if (SUITE_SHAPE.matcher(name).matches()) {
                problems.add(CIPHER_SUITES + ": " + name + " is refused: only forward-secret ECDHE suites with an AEAD"
                        + " cipher are allowed (" + String.join(", ", TLS12_SUITES) + ")");
                return List.of();
            } else {
                problems.add(CIPHER_SUITES + ": \"" + name + "\" is not a cipher suite name (IANA names, for example "
                        + TLS12_SUITES.get(1) + ")");
                return List.of();
            }
        }
        return suites;
    }

    private static List<String> groups(List<String> configured, List<String> problems) {
        List<String> groups = new ArrayList<>();
        for (String group : configured) {
            Optional<String> name = groupName(group);
            if (name.isEmpty()) {
                problems.add(GROUPS + ": \"" + group.trim() + "\" is not a key exchange group this service knows ("
                        + String.join(", ", GROUP_NAMES.values()) + ")");
                return List.of();
            }
            if (!groups.contains(name.get())) {
                groups.add(name.get());
            }
        }
        return groups;
    }
}
