package io.spiffeoidc.ops;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.jboss.logging.Logger;

/** One line when a shipped native library could not be loaded, once logging is configured. */
@ApplicationScoped
public class NativeLibraryNotice {

    private static final Logger LOG = Logger.getLogger(NativeLibraryNotice.class);

    void report(@Observes StartupEvent event) {
        List<String> problems = NativeLibraries.problems();
        if (!problems.isEmpty()) {
            LOG.warnf("Native libraries not loaded, their components use their Java fallbacks: %s",
                    String.join(", ", problems));
        }
    }
}
