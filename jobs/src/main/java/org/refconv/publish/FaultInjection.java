package org.refconv.publish;

/**
 * For crash tests only: with {@code -Drefconv.publish.pauseAt=staged} (files written, folder not yet renamed) or
 * {@code =committed} (version renamed into place, LATEST not yet moved), publish prints a line and waits there, so
 * that a test can kill the JVM at exactly that point. Without the property it does nothing.
 */
final class FaultInjection {

    static final String PROPERTY = "refconv.publish.pauseAt";

    private FaultInjection() {}

    static void pauseAt(String point) {
        if (!point.equals(System.getProperty(PROPERTY))) {
            return;
        }
        System.out.println("publish: paused at " + point + " (" + PROPERTY + ")");
        System.out.flush();
        try {
            Thread.sleep(600_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
