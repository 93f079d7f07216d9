package io.spiffeoidc.spire;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.SmallRyeHealth;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Feeds SPIRE's health listener from the same SmallRye Health checks as /q/health/ready and
 * /q/health/live on the management interface, so both places always give the same verdict.
 */
@ApplicationScoped
public class SpireHealthBridge {

    @Inject
    SmallRyeHealthReporter reporter;

    void started(@Observes StartupEvent event) {
        if (SpireMode.healthChecks().isEmpty()) {
            return;
        }
        SpireHealthListener.answerWith(new HealthAnswers() {
            @Override
            public Answer readiness() {
                return answer(reporter.getReadiness());
            }

            @Override
            public Answer liveness() {
                return answer(reporter.getLiveness());
            }
        });
    }

    void stopping(@Observes ShutdownEvent event) {
        SpireHealthListener.answerWith(HealthAnswers.NOT_STARTED);
    }

    private static HealthAnswers.Answer answer(SmallRyeHealth health) {
        return new HealthAnswers.Answer(!health.isDown(), health.getPayload().toString());
    }
}
