package io.spiffeoidc.spire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the reader refuses before it parses anything. */
class SpireConfigFileTest {

    @TempDir
    Path dir;

    @Test
    void aFileOverOneMebibyteIsRefusedWithoutBeingReadWhole() throws Exception {
        Path file = dir.resolve("big.conf");
        byte[] spaces = new byte[(1 << 20) + 1];
        Arrays.fill(spaces, (byte) ' ');
        Files.write(file, spaces);
        SpireConfigException refused = assertThrows(SpireConfigException.class,
                () -> SpireConfigFile.read(file, false, name -> null));
        assertEquals("Invalid SPIRE configuration " + file + ": larger than 1048576 bytes", refused.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8IsNamed() throws Exception {
        Path file = dir.resolve("latin1.conf");
        Files.write(file, "{\"domains\": [\"caf\u00e9\"]}".getBytes(StandardCharsets.ISO_8859_1));
        SpireConfigException refused = assertThrows(SpireConfigException.class,
                () -> SpireConfigFile.read(file, false, name -> null));
        assertTrue(refused.getMessage().startsWith("Cannot read the SPIRE configuration file " + file + " (Malformed"),
                refused.getMessage());
    }
}
