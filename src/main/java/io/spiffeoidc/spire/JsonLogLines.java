package io.spiffeoidc.spire;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.quarkus.logging.LoggingFilter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * SPIRE's log_format "json": one JSON object per line, with the field names of SPIRE's own JSON logs
 * (time, level, msg) so existing log pipelines keep working. A named logging filter on the one active
 * handler rewrites each record into its JSON line and the handler's pattern prints just that
 * ({@code %s%n}); being part of Quarkus's logging set-up, it applies from the first line. (JBoss
 * LogManager's JSON formatter needs a JSON-P implementation on the boot class path, which the packaged
 * application does not have.)
 */
@LoggingFilter(name = JsonLogLines.NAME)
public final class JsonLogLines implements Filter {

    static final String NAME = "spire-json";

    @Override
    public boolean isLoggable(LogRecord record) {
        if (!(record instanceof ExtLogRecord ext)) {
            return true;
        }
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "time", ext.getInstant().toString()).append(',');
        field(line, "level", level(ext)).append(',');
        field(line, "logger", ext.getLoggerName() == null ? "" : ext.getLoggerName()).append(',');
        field(line, "msg", ext.getFormattedMessage() == null ? "" : ext.getFormattedMessage());
        if (ext.getThrown() != null) {
            StringWriter trace = new StringWriter();
            ext.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(',');
            field(line, "error", trace.toString());
        }
        ext.setMessage(line.append('}').toString(), ExtLogRecord.FormatStyle.NO_FORMAT);
        ext.setParameters(null);
        ext.setThrown(null);
        return true;
    }

    /** SPIRE's (logrus's) level names. */
    private static String level(ExtLogRecord record) {
        String name = record.getLevel().getName().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "warn", "warning" -> "warning";
            case "severe" -> "error";
            default -> name;
        };
    }

    private static StringBuilder field(StringBuilder line, String name, String value) {
        line.append('"').append(name).append("\":\"");
        JsonStringEncoder.getInstance().quoteAsString(value, line);
        return line.append('"');
    }
}
