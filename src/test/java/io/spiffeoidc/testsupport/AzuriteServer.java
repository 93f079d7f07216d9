package io.spiffeoidc.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Azurite's Blob service (the npm package the build installs into target/stores/azurite, system property
 * {@value #HOME_PROPERTY}) as a Node.js process of its own on 127.0.0.1, for the account {@value #ACCOUNT_NAME} with
 * Azurite's published development key: Shared Key or SAS required, except for anonymous reads of containers created
 * with public access (blob or container level), as on Azure.
 * <ul>
 * <li>Storage: Azurite's workspace ({@code --location}) is the directory the caller passes; its metadata database is
 * written on a clean stop (SIGTERM), which is what {@link #stop()} does, so a restart on the same directory finds
 * the containers and blobs. A SIGKILL may lose what was written in the last five seconds (Azurite saves its
 * database every five seconds).</li>
 * <li>API versions: {@code --skipApiVersionCheck}, since the Azure SDK may send a version newer than this Azurite
 * knows.</li>
 * <li>No telemetry ({@code --disableTelemetry}: Azurite would otherwise try to reach Azure's telemetry ingestion).</li>
 * <li>HTTPS: with a PEM certificate and key, the same port serves HTTPS only and {@link #blobEndpoint()} says
 * so.</li>
 * </ul>
 * {@link #stop()} and {@link #start()} keep the port, so a client built once sees an outage and a recovery. Needs
 * {@code node} (Node.js 20) on the PATH.
 */
public final class AzuriteServer implements AutoCloseable {

    /** The system property that names Azurite's npm installation (the build sets it for failsafe). */
    public static final String HOME_PROPERTY = "azurite.home";
    /** Azurite's well-known development account. */
    public static final String ACCOUNT_NAME = "devstoreaccount1";
    /** The key of {@link #ACCOUNT_NAME}, published by Azurite (and the storage emulator before it). */
    public static final String ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private final Path location;
    private final int port = FreePorts.loopback();
    private final boolean https;
    private final StoreProcess process;

    /** Plain HTTP, the workspace in {@code location} (created if missing). Call {@link #start()}. */
    public AzuriteServer(Path location) {
        this(location, null, null);
    }

    /** HTTPS only, with the PEM certificate (chain) and private key given. Call {@link #start()}. */
    public AzuriteServer(Path location, Path certificatePem, Path keyPem) {
        this.location = location.toAbsolutePath();
        this.https = certificatePem != null;
        Path home = StoreProcess.installed(HOME_PROPERTY, "azurite", "Azurite's npm installation");
        Path main = home.resolve("node_modules/azurite/dist/src/blob/main.js");
        if (!Files.isRegularFile(main)) {
            throw new IllegalStateException(main + " is missing: the build's npm ci into " + home + " did not complete");
        }
        try {
            Files.createDirectories(this.location);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of("node", main.toString(), "--blobHost", "127.0.0.1", "--blobPort",
                String.valueOf(port), "--location", this.location.toString(), "--skipApiVersionCheck",
                "--disableTelemetry"));
        if (https) {
            command.addAll(List.of("--cert", certificatePem.toAbsolutePath().toString(), "--key",
                    keyPem.toAbsolutePath().toString()));
        }
        // AZURITE_ACCOUNTS would replace the development account with others
        this.process = new StoreProcess("azurite", command, List.of(port), Set.of("AZURITE_ACCOUNTS"));
    }

    /** Starts Azurite (again, after {@link #stop()}) on the same port and returns once it listens. */
    public AzuriteServer start() {
        process.start();
        return this;
    }

    /** Ends the process cleanly (SIGTERM: Azurite saves its database), then SIGKILL if it hangs; the data stays. */
    public void stop() {
        process.stop();
    }

    public boolean running() {
        return process.running();
    }

    /** {@code http(s)://127.0.0.1:<port>/devstoreaccount1}: the account is the first path segment. */
    public URI blobEndpoint() {
        return URI.create((https ? "https" : "http") + "://127.0.0.1:" + port + "/" + ACCOUNT_NAME);
    }

    public String accountName() {
        return ACCOUNT_NAME;
    }

    public String accountKey() {
        return ACCOUNT_KEY;
    }

    /** A connection string for the SDKs that take one. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=" + (https ? "https" : "http") + ";AccountName=" + ACCOUNT_NAME + ";AccountKey="
                + ACCOUNT_KEY + ";BlobEndpoint=" + blobEndpoint() + ";";
    }

    public Path location() {
        return location;
    }

    /** Azurite's output (its access log included), appended across restarts. */
    public Path log() {
        return process.log();
    }

    /** The last lines of {@link #log()}, for failure messages. */
    public String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.stop();
    }
}
