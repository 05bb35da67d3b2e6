package org.refconv.analysis;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.checkpoint.CheckpointFormatException;
import org.refconv.io.HadoopFiles;

/**
 * The RefConv paper's Figures 3 and 4 for a refocus checkpoint (a state dict saved while refocusing, before the
 * fold): per RefConv layer, the connection degree of Wr and the kernel redundancy of the basis Wb and of the
 * refocused weight Wt, as CSV matrices and PNG heatmaps, plus {@code summary.csv} with one row per layer (also
 * printed). Run: {@code RefocusAnalysis --checkpoint URI --out DIR [--channels 64] [--layers REGEX]
 * [--identity true|false]}; URIs are any Hadoop filesystem's. Bad arguments or a checkpoint that is not a refocus
 * one exit with code 2 and a message.
 *
 * <p>Files per layer X: {@code X.connection.csv}, {@code X.redundancy-basis.csv}, {@code X.redundancy-refocused.csv},
 * {@code X.connection.png} and {@code X.redundancy.png} (Wb and Wt side by side on one colour scale).
 */
public final class RefocusAnalysis {

    /** The command line. {@code layers} is a regex over whole layer names, null for all. */
    public record Options(String checkpoint, String out, int channels, String layers, boolean identity) {

        static final String USAGE = "usage: --checkpoint URI --out DIR [--channels N (64)] [--layers REGEX] "
                + "[--identity true|false (true)]";

        public static Options parse(String[] args) {
            String checkpoint = null;
            String out = null;
            int channels = 64;
            String layers = null;
            boolean identity = true;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                if (value == null) {
                    throw new IllegalArgumentException(args[i] + " needs a value; " + USAGE);
                }
                switch (args[i]) {
                    case "--checkpoint" -> checkpoint = value;
                    case "--out" -> out = value;
                    case "--channels" -> channels = Integer.parseInt(value);
                    case "--layers" -> layers = value;
                    case "--identity" -> identity = parseBoolean(value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; " + USAGE);
                }
                i++;
            }
            if (checkpoint == null || out == null) {
                throw new IllegalArgumentException("--checkpoint and --out are required; " + USAGE);
            }
            if (channels < 1) {
                throw new IllegalArgumentException("--channels must be >= 1, got " + channels);
            }
            return new Options(checkpoint, out, channels, layers, identity);
        }

        private static boolean parseBoolean(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException("--identity takes true or false, got " + value);
            };
        }
    }

    private static final String[] SUMMARY_COLUMNS = {
        "layer",
        "n2d",
        "G",
        "channels",
        "redundancy_offdiag_basis",
        "redundancy_offdiag_refocused",
        "connection_diag",
        "connection_offdiag_in_group"
    };

    private RefocusAnalysis() {}

    /** Analyses every selected layer, writes the files under {@code options.out()} and prints the summary. */
    public static List<LayerAnalysis> run(Options options, Configuration conf, PrintStream console) throws IOException {
        RefocusCheckpoint checkpoint = RefocusCheckpoint.read(options.checkpoint(), conf);
        List<LayerAnalysis> analyses = new ArrayList<>();
        for (RefocusLayer layer : checkpoint.select(options.layers())) {
            LayerAnalysis a = LayerAnalysis.of(layer, options.channels(), options.identity());
            writeLayer(a, options.out(), conf);
            analyses.add(a);
        }
        write(options.out(), "summary.csv", summaryCsv(analyses).getBytes(StandardCharsets.UTF_8), conf);
        printSummary(analyses, options, console);
        return analyses;
    }

    private static void writeLayer(LayerAnalysis a, String dir, Configuration conf) throws IOException {
        String name = a.layer().name();
        String shape = "layer " + name + ", " + a.describeTransform();
        writeCsv(
                dir,
                name + ".connection.csv",
                a.connection()
                        .csv("connection degree sum_k |Wr(i, j)|, output "
                                + "kernel i (rows) from input kernel j (columns), 0 outside i's group; " + shape),
                conf);
        writeCsv(
                dir,
                name + ".redundancy-basis.csv",
                a.basisRedundancy()
                        .csv("redundancy log10(1 + KL(p_i || p_j)) "
                                + "of the basis Wb, p = softmax over each kernel's values; " + shape),
                conf);
        writeCsv(
                dir,
                name + ".redundancy-refocused.csv",
                a.refocusedRedundancy()
                        .csv("redundancy log10(1 + KL(p_i " + "|| p_j)) of the refocused weight " + a.describeWeight()
                                + "; " + shape),
                conf);
        write(
                dir,
                name + ".connection.png",
                Heatmap.render(
                        name + ": connection degree of Wr",
                        a.describeTransform(),
                        List.of(new Heatmap.Panel(
                                "sum over the k x k filter of |Wr(i, j)|",
                                a.connection(),
                                "input kernel j",
                                "output kernel i"))),
                conf);
        write(
                dir,
                name + ".redundancy.png",
                Heatmap.render(
                        name + ": kernel redundancy log10(1 + KL(p_i || p_j)),"
                                + " p = softmax of a kernel (higher = less redundant)",
                        a.describeTransform(),
                        List.of(
                                new Heatmap.Panel("basis Wb", a.basisRedundancy(), "kernel j", "kernel i"),
                                new Heatmap.Panel(
                                        "refocused " + a.describeWeight(),
                                        a.refocusedRedundancy(),
                                        "kernel j",
                                        "kernel i"))),
                conf);
    }

    private static void writeCsv(String dir, String file, String csv, Configuration conf) throws IOException {
        write(dir, file, csv.getBytes(StandardCharsets.UTF_8), conf);
    }

    private static void write(String dir, String file, byte[] bytes, Configuration conf) throws IOException {
        HadoopFiles.writeAtomically(new Path(new Path(dir), file).toString(), conf, out -> out.write(bytes));
    }

    /** One row per layer; an undefined mean (no in-group pair of distinct kernels) is an empty cell. */
    static String summaryCsv(List<LayerAnalysis> analyses) {
        StringBuilder sb = new StringBuilder(String.join(",", SUMMARY_COLUMNS)).append('\n');
        for (LayerAnalysis a : analyses) {
            sb.append(String.join(
                            ",",
                            a.layer().name(),
                            Integer.toString(a.layer().n2d()),
                            Integer.toString(a.layer().mapGroups()),
                            Integer.toString(a.channels()),
                            csvNumber(a.basisRedundancyOffDiagonal()),
                            csvNumber(a.refocusedRedundancyOffDiagonal()),
                            csvNumber(a.connectionDiagonal()),
                            csvNumber(a.connectionOffDiagonal())))
                    .append('\n');
        }
        return sb.toString();
    }

    private static String csvNumber(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    static void printSummary(List<LayerAnalysis> analyses, Options options, PrintStream out) {
        out.printf(
                Locale.ROOT,
                "Refocusing analysis of %s: %d RefConv layers, first %d kernels each, %s; files in %s%n",
                options.checkpoint(),
                analyses.size(),
                options.channels(),
                options.identity() ? "Wt = Wb * Wr + Wb" : "Wt = Wb * Wr (identity off)",
                options.out());
        String fmt = "%-28s %7s %7s %4s %14s %14s %12s %12s%n";
        out.printf(
                Locale.ROOT, fmt, "layer", "n2d", "G", "C", "redundancy Wb", "redundancy Wt", "|Wr| diag", "|Wr| off");
        for (LayerAnalysis a : analyses) {
            out.printf(
                    Locale.ROOT,
                    fmt,
                    a.layer().name(),
                    a.layer().n2d(),
                    a.layer().mapGroups(),
                    a.channels(),
                    tableNumber(a.basisRedundancyOffDiagonal()),
                    tableNumber(a.refocusedRedundancyOffDiagonal()),
                    tableNumber(a.connectionDiagonal()),
                    tableNumber(a.connectionOffDiagonal()));
        }
        out.println("redundancy: mean off-diagonal log10(1 + KL) (higher = kernels less alike); |Wr| off: mean over"
                + " distinct kernels of one group (n/a when G = n2d)");
    }

    private static String tableNumber(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.5g", v);
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0
                || List.of(args).contains("--help")
                || List.of(args).contains("-h")) {
            System.out.println("RefocusAnalysis " + Options.USAGE);
            return;
        }
        try {
            run(Options.parse(args), new Configuration(), System.out);
        } catch (IllegalArgumentException | FileNotFoundException | CheckpointFormatException e) {
            System.err.println("analyze: " + e.getMessage());
            System.exit(2);
        }
    }
}
