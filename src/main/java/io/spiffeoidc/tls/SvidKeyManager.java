package io.spiffeoidc.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Hands each new handshake the X509-SVID served at that moment. Both TLS engines ask their key manager on every
 * handshake, so swapping the SVID is one reference write: no TLS context is rebuilt, no listener is touched, and
 * no connection, established or being accepted, is dropped by a rotation. Each SVID has an alias of its own, and
 * the previous one stays answerable, so a handshake that chose its alias just before a swap still gets that
 * alias's chain and key, never a chain with another key.
 */
final class SvidKeyManager extends X509ExtendedKeyManager {

    /** One served SVID: the chain (SVID first) and its key, under an alias naming its serial. */
    record Material(String alias, X509Certificate[] chain, PrivateKey key) {
    }

    private record Served(Material current, Material previous) {
    }

    private volatile Served served = new Served(null, null);

    void serve(Material material) {
        served = new Served(material, served.current());
    }

    /** The alias for a handshake that can use a key of {@code keyType}; null before the first SVID (no handshake). */
    private String choose(String keyType) {
        Material current = served.current();
        return current != null && fits(keyType, current.key().getAlgorithm()) ? current.alias() : null;
    }

    /**
     * The JDK names key algorithms ("EC", "RSA", "RSASSA-PSS"); BoringSSL through netty names key exchange and
     * signature pairs ("EC_EC", "EC_RSA", "RSA", "DH_RSA").
     */
    private static boolean fits(String keyType, String algorithm) {
        if (keyType == null) {
            return false;
        }
        if (algorithm.equals("EC")) {
            return keyType.equals("EC") || keyType.startsWith("EC_");
        }
        return algorithm.equals("RSA") && (keyType.equals("RSA") || keyType.equals("RSASSA-PSS") || keyType.equals("DH_RSA"));
    }

    private Material material(String alias) {
        Served now = served;
        for (Material material : new Material[] {now.current(), now.previous()}) {
            if (material != null && material.alias().equals(alias)) {
                return material;
            }
        }
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = choose(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Material material = material(alias);
        return material == null ? null : material.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Material material = material(alias);
        return material == null ? null : material.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
