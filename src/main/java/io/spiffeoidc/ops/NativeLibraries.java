package io.spiffeoidc.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Netty extracts its native libraries (the epoll transports of Vert.x and of gRPC, BoringSSL) to
 * java.io.tmpdir before loading them. On a read-only root file system that fails, and gRPC's Unix-socket
 * channel to the SPIRE agent has no fallback. The package therefore ships them unpacked (quarkus-app/native,
 * see the pom); when the extraction directory is not writable they are loaded from there, before Netty
 * looks, and Netty finds them already loaded. When it is writable nothing changes. A library that cannot
 * be loaded either way leaves its component on its fallback (NIO, the JDK's TLS engine), with one line.
 */
public final class NativeLibraries {

    private static final List<String> PROBLEMS = new ArrayList<>();

    private NativeLibraries() {
    }

    /** Must run before any Netty class is initialised. */
    public static void preloadIfExtractionImpossible(Class<?> applicationClass) {
        Path workdir = Path.of(System.getProperty("io.netty.native.workdir", System.getProperty("java.io.tmpdir")));
        if (Files.isDirectory(workdir) && Files.isWritable(workdir)) {
            return;
        }
        Path shipped;
        try {
            // quarkus-app/app/<application>.jar -> quarkus-app/native
            shipped = Path.of(applicationClass.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .getParent().resolveSibling("native");
        } catch (Exception e) {
            return;
        }
        if (!Files.isDirectory(shipped)) {
            return;
        }
        String suffix = "_" + arch() + ".so";
        try (Stream<Path> files = Files.list(shipped)) {
            files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().forEach(NativeLibraries::load);
        } catch (IOException e) {
            PROBLEMS.add("Cannot list " + shipped + ": " + e.getMessage());
        }
    }

    /** Libraries that could not be loaded from the package, for one log line once logging is up. */
    public static List<String> problems() {
        return List.copyOf(PROBLEMS);
    }

    private static void load(Path library) {
        try {
            System.load(library.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError | SecurityException e) {
            PROBLEMS.add(library.getFileName() + " (" + e.getMessage() + ")");
        }
    }

    /** Netty's names for the architectures it ships libraries for. */
    private static String arch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch_64";
            default -> arch;
        };
    }
}
