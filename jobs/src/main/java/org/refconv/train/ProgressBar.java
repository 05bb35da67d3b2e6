package org.refconv.train;

import java.util.Locale;

/**
 * A progress bar on the driver's console while the barrier stage runs: it polls the progress file rank 0 writes
 * (epoch, step, images/s, loss) once a second. Logs, not the terminal, when the output is not a terminal.
 */
final class ProgressBar implements AutoCloseable {

    private final Thread thread;
    private volatile boolean running = true;

    private ProgressBar(RunFiles files) {
        thread = new Thread(() -> loop(files), "refconv-progress");
        thread.setDaemon(true);
    }

    static ProgressBar follow(RunFiles files) {
        ProgressBar bar = new ProgressBar(files);
        bar.thread.start();
        return bar;
    }

    private void loop(RunFiles files) {
        String last = null;
        boolean terminal = System.console() != null;
        while (running) {
            String json = files.readProgress();
            if (json != null && !json.equals(last)) {
                last = json;
                String line = render(json);
                System.out.print(terminal ? "\r" + line : line + "\n");
                System.out.flush();
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** "epoch 2/5 [#########...........] step 120/300  812 img/s  loss 0.4312  lr 0.0931". */
    static String render(String json) {
        long epoch = (long) num(json, "epoch");
        long epochs = (long) num(json, "epochs");
        long step = (long) num(json, "step");
        long steps = Math.max(1, (long) num(json, "steps"));
        int width = 24;
        int done = (int) (width * step / steps);
        java.util.regex.Matcher executors = java.util.regex.Pattern.compile("\"executors\":\"(\\d+)/(\\d+)\"")
                .matcher(json);
        String resized = executors.find() && !executors.group(1).equals(executors.group(2))
                ? "  resized: " + executors.group(1) + " executors for " + executors.group(2) + " ranks"
                : "";
        return String.format(
                Locale.ROOT,
                "epoch %d/%d [%s%s] step %d/%d  %.0f img/s  loss %.4f  lr %.4g%s",
                epoch,
                epochs,
                "#".repeat(done),
                ".".repeat(width - done),
                step,
                steps,
                num(json, "imagesPerSec"),
                num(json, "loss"),
                num(json, "lr"),
                resized);
    }

    private static double num(String json, String name) {
        return JsonLines.number(json, name);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(2000);
        System.out.println();
    }
}
