package io.spiffeoidc.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Collects the formatted lines one logger writes, for tests of "one log line per state change". */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final Level previousLevel;
    private final List<Line> lines = new ArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String line = record instanceof org.jboss.logmanager.ExtLogRecord ext ? ext.getFormattedMessage()
                    : formatter.formatMessage(record);
            synchronized (lines) {
                lines.add(new Line(record.getLevel(), record.getLevel() + " " + line));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        previousLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addHandler(handler);
    }

    public static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    private record Line(Level level, String text) {
    }

    /** Lines so far, each "LEVEL message". */
    public List<String> lines() {
        synchronized (lines) {
            return lines.stream().map(Line::text).toList();
        }
    }

    /** Lines logged at ERROR (SEVERE) or above. */
    public List<String> errors() {
        synchronized (lines) {
            return lines.stream().filter(line -> line.level().intValue() >= Level.SEVERE.intValue()).map(Line::text).toList();
        }
    }

    /** Lines that contain the text. */
    public List<String> containing(String text) {
        return lines().stream().filter(line -> line.contains(text)).toList();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previousLevel);
    }
}
