package io.spiffeoidc.spire;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtFormatter;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.jboss.logmanager.handlers.FileHandler;

/**
 * SPIRE's log_format "json": one JSON object per line on the console (and the log_path file), with the
 * field names of SPIRE's own JSON logs (time, level, msg) so existing log pipelines keep working. It
 * replaces the pattern formatter on the handlers Quarkus set up. (JBoss LogManager's JSON formatter
 * needs a JSON-P implementation on the boot class path, which the packaged application does not have.)
 */
final class JsonLogLines extends ExtFormatter {

    private JsonLogLines() {
    }

    static void install() {
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            install(handler);
        }
    }

    private static void install(Handler handler) {
        if (handler instanceof ConsoleHandler || handler instanceof FileHandler) {
            handler.setFormatter(new JsonLogLines());
        }
        if (handler instanceof ExtHandler ext) {
            for (Handler child : ext.getHandlers()) {
                install(child);
            }
        }
    }

    @Override
    public String format(ExtLogRecord record) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "time", Instant.ofEpochMilli(record.getMillis()).toString()).append(',');
        field(line, "level", level(record)).append(',');
        field(line, "logger", record.getLoggerName() == null ? "" : record.getLoggerName()).append(',');
        field(line, "msg", formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(',');
            field(line, "error", trace.toString());
        }
        return line.append("}\n").toString();
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
