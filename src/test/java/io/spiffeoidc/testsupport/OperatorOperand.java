package io.spiffeoidc.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * How the Zero Trust Workload Identity Manager runs SPIRE's OIDC discovery provider, which this service
 * replaces: the Deployment's arguments, the file it writes (its keys, sorted, as it writes them), the
 * names it serves, and the kubelet's probes. The drop-in tests run the jar and the image this way.
 */
public final class OperatorOperand {

    public static final String TRUST_DOMAIN = "spiffe://example.org";
    public static final String NAMESPACE = "zero-trust-workload-identity-manager";
    public static final List<String> DOMAINS = List.of("spire-spiffe-oidc-discovery-provider",
            "spire-spiffe-oidc-discovery-provider." + NAMESPACE,
            "spire-spiffe-oidc-discovery-provider." + NAMESPACE + ".svc.cluster.local",
            "oidc-discovery.apps.example.com");
    /** The Deployment's arguments, unchanged. */
    public static final List<String> ARGS = List.of("-config", "/run/spire/oidc/config/oidc-discovery-provider.conf");
    /** The Deployment's ports: the health checks and the HTTPS listener. */
    public static final int HEALTH_PORT = 8008;
    public static final int HTTPS_PORT = 8443;

    private OperatorOperand() {
    }

    /** The operator's JSON file, with the given ports (the operator's own are {@link #HEALTH_PORT} and {@link #HTTPS_PORT}). */
    public static String configJson(int healthPort, int httpsPort) {
        return """
                {
                  "domains": [
                    "%s",
                    "%s",
                    "%s",
                    "%s"
                  ],
                  "health_checks": {
                    "bind_port": "%d",
                    "live_path": "/live",
                    "ready_path": "/ready"
                  },
                  "log_format": "text",
                  "log_level": "info",
                  "serving_cert_file": {
                    "addr": ":%d",
                    "cert_file_path": "/etc/oidc/tls/tls.crt",
                    "key_file_path": "/etc/oidc/tls/tls.key"
                  },
                  "workload_api": {
                    "socket_path": "/spiffe-workload-api/spire-agent.sock",
                    "trust_domain": "example.org"
                  }
                }
                """.formatted(DOMAINS.get(0), DOMAINS.get(1), DOMAINS.get(2), DOMAINS.get(3), healthPort, httpsPort);
    }

    /** Status of a plain-HTTP GET as the kubelet probes, with its 1 s timeout; -1 when nothing answered in time. */
    public static int probe(int port, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(1000);
            return RawHttp.exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: 10.128.0.15:" + port
                    + "\r\nUser-Agent: kube-probe/1.31\r\nConnection: close\r\n\r\n", true).status();
        } catch (IOException e) {
            return -1;
        }
    }

    /** GET over HTTPS to 127.0.0.1 with {@code host} as Host and SNI, trusting what {@code client} trusts. */
    public static RawHttp.Response https(SSLContext client, int port, String host, String path) {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            return RawHttp.exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", true);
        } catch (IOException e) {
            throw new AssertionError("HTTPS to " + host + " failed", e);
        }
    }
}
