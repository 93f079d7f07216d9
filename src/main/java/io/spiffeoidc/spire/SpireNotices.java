package io.spiffeoidc.spire;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Logs what the SPIRE file reader noticed, once logging has its configured level and format. */
@ApplicationScoped
public class SpireNotices {

    private static final Logger LOG = Logger.getLogger(SpireNotices.class);

    /** After start-up checks, so that a refused configuration stays one line. */
    void log(@Observes @Priority(20) StartupEvent event) {
        SpireMode.active().ifPresent(settings -> {
            LOG.infof("Configured by SPIRE's file %s", settings.file());
            for (Notice notice : settings.notices()) {
                if (notice.level() == Notice.Level.WARN) {
                    LOG.warn(notice.message());
                } else {
                    LOG.info(notice.message());
                }
            }
        });
    }
}
