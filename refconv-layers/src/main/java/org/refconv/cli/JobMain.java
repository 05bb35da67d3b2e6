package org.refconv.cli;

import java.util.Optional;

import org.refconv.config.ConfigException;

/**
 * What every job main does around its work: parse the settings, and turn the failures a person must act on into
 * their exit code and a one-line {@code job: message} on stderr. Anything else is left to the caller (FAILED).
 */
public final class JobMain {

    private JobMain() {}

    /** Reads (and may check) a job's settings. */
    @FunctionalInterface
    public interface Parse<T, E extends Exception> {
        T get() throws E;
    }

    /** A job's work, ending in its exit code. */
    @FunctionalInterface
    public interface Work {
        ExitCode run() throws Exception;
    }

    /**
     * The settings, or empty once {@code job: message} is printed: a setting refused ({@link ConfigException}) or a
     * value that does not parse ({@link IllegalArgumentException}), both a BAD_CONFIG.
     */
    public static <T, E extends Exception> Optional<T> parse(String job, Parse<T, E> parse) throws E {
        try {
            return Optional.of(parse.get());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(job + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** As {@link #parse}, but ends the JVM with BAD_CONFIG when the settings are refused. */
    public static <T, E extends Exception> T parseOrExit(String job, Parse<T, E> parse) throws E {
        Optional<T> settings = parse(job, parse);
        if (settings.isEmpty()) {
            ExitCode.BAD_CONFIG.exit();
        }
        return settings.orElseThrow(); // reached only with settings: exit() does not return
    }

    /**
     * Runs the work; a {@link ConfigException} (BAD_CONFIG) or a {@link JobFailure} (its own code) is reported in one
     * line and returned as its exit code, any other exception is rethrown.
     */
    public static ExitCode run(String job, Work work) throws Exception {
        try {
            return work.run();
        } catch (ConfigException e) {
            System.err.println(job + ": " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        } catch (JobFailure e) {
            System.err.println(job + ": " + e.report());
            return e.exitCode();
        }
    }
}
