package org.refconv.analysis;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command end to end on a small two-layer refocus checkpoint written as safetensors. */
class RefocusAnalysisTest {

    @TempDir
    static Path dir;

    private static Path checkpoint;

    @BeforeAll
    static void writeCheckpoint() throws IOException {
        Random random = new Random(3);
        StateDict sd = new StateDict();
        // features.0: depthwise, 4 channels (n2d 4, G 1). features.1: dense 2 -> 3 (n2d 6, G 6). Plus keys to skip.
        sd.put("features.0.weight", random(random, 4, 1, 3, 3));
        sd.put("features.0.convmap.weight", random(random, 4, 4, 3, 3));
        sd.put("features.1.weight", random(random, 3, 2, 3, 3));
        sd.put("features.1.convmap.weight", random(random, 6, 1, 3, 3));
        sd.put("bn.running_mean", random(random, 3));
        sd.put("fc.weight", random(random, 10, 3));
        checkpoint = dir.resolve("refocus.safetensors");
        SafeTensors.write(sd, checkpoint.toString(), null);
    }

    private static HostTensor random(Random random, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return HostTensor.ofFloats(shape, v);
    }

    private static List<LayerAnalysis> run(String out, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--checkpoint", checkpoint.toString(), "--out", out));
        args.addAll(List.of(extra));
        return RefocusAnalysis.run(
                RefocusAnalysis.Options.parse(args.toArray(String[]::new)),
                new Configuration(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void writesMatricesHeatmapsAndSummaryForEveryLayer() throws IOException {
        Path out = dir.resolve("all");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<LayerAnalysis> analyses = RefocusAnalysis.run(
                RefocusAnalysis.Options.parse(
                        new String[] {"--checkpoint", checkpoint.toString(), "--out", "file://" + out}),
                new Configuration(),
                new PrintStream(console, true, StandardCharsets.UTF_8));
        assertEquals(
                List.of("features.0", "features.1"),
                analyses.stream().map(a -> a.layer().name()).toList());

        for (LayerAnalysis a : analyses) {
            String name = a.layer().name();
            assertMatrixFile(a.connection(), out.resolve(name + ".connection.csv"));
            assertMatrixFile(a.basisRedundancy(), out.resolve(name + ".redundancy-basis.csv"));
            assertMatrixFile(a.refocusedRedundancy(), out.resolve(name + ".redundancy-refocused.csv"));
            // One matrix panel plus the legend; two panels (Wb, Wt) plus the legend. Heights: title + panel.
            assertImage(out.resolve(name + ".connection.png"), 470 + 110, 48 + 470);
            assertImage(out.resolve(name + ".redundancy.png"), 2 * 470 + 110, 48 + 470);
        }
        assertEquals(4, analyses.get(0).channels());
        assertEquals(6, analyses.get(1).channels());
        assertTrue(Files.readString(out.resolve("features.1.connection.csv")).startsWith("# ")
                && Files.readString(out.resolve("features.1.connection.csv")).contains("G = n2d: Wr is diagonal"));

        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(3, summary.size(), String.join("\n", summary));
        assertEquals(
                "layer,n2d,G,channels,redundancy_offdiag_basis,redundancy_offdiag_refocused,connection_diag,"
                        + "connection_offdiag_in_group",
                summary.get(0));
        LayerAnalysis dw = analyses.get(0);
        assertEquals(
                List.of(
                        "features.0",
                        "4",
                        "1",
                        "4",
                        Double.toString(dw.basisRedundancy().meanOffDiagonal()),
                        Double.toString(dw.refocusedRedundancy().meanOffDiagonal()),
                        Double.toString(dw.connection().meanDiagonal()),
                        Double.toString(dw.connection().meanOffDiagonal())),
                List.of(summary.get(1).split(",", -1)));
        String[] dense = summary.get(2).split(",", -1);
        assertEquals("6", dense[2]);
        assertEquals("", dense[7], "no off-diagonal connection exists when G = n2d");

        String printed = console.toString(StandardCharsets.UTF_8);
        assertTrue(
                printed.contains("features.0") && printed.contains("features.1") && printed.contains("n/a"), printed);
    }

    @Test
    void layersRegexAndChannelsRestrictTheOutput() throws IOException {
        Path out = dir.resolve("one");
        List<LayerAnalysis> analyses =
                run(out.toString(), "--layers", "features\\.1", "--channels", "2", "--identity", "false");
        assertEquals(1, analyses.size());
        assertEquals(2, analyses.get(0).channels());
        assertTrue(Files.exists(out.resolve("features.1.redundancy.png")));
        assertTrue(Files.notExists(out.resolve("features.0.connection.csv")));
        assertTrue(Files.readString(out.resolve("features.1.redundancy-refocused.csv"))
                .contains("identity off"));
    }

    @Test
    void aCheckpointWithoutRefocusingWeightsIsRefusedByName() throws IOException {
        StateDict plain = new StateDict();
        plain.put("features.0.weight", HostTensor.ofFloats(new long[] {1, 1, 3, 3}, new float[9]));
        Path file = dir.resolve("folded.safetensors");
        SafeTensors.write(plain, file.toString(), null);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> RefocusAnalysis.run(
                        RefocusAnalysis.Options.parse(new String[] {
                            "--checkpoint",
                            file.toString(),
                            "--out",
                            dir.resolve("x").toString()
                        }),
                        new Configuration(),
                        System.out));
        assertTrue(
                e.getMessage().contains(file.toString())
                        && e.getMessage().contains("not a refocus checkpoint")
                        && e.getMessage().contains("folded"),
                e.getMessage());
    }

    @Test
    void aLayerRegexMatchingNothingListsTheLayers() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> run(dir.resolve("none").toString(), "--layers", "layer4.*"));
        assertTrue(
                e.getMessage().contains("layer4.*") && e.getMessage().contains("features.0, features.1"),
                e.getMessage());
    }

    /** The CSV past its comment line: a header of column indices, then rows led by their index. */
    private static void assertMatrixFile(ChannelMatrix expected, Path csv) throws IOException {
        List<String> lines =
                Files.readAllLines(csv).stream().filter(l -> !l.startsWith("#")).toList();
        int c = expected.size();
        assertEquals(c + 1, lines.size(), csv.toString());
        String[] header = lines.get(0).split(",");
        assertEquals(c + 1, header.length);
        for (int j = 0; j < c; j++) {
            assertEquals(Integer.toString(j), header[j + 1]);
        }
        for (int i = 0; i < c; i++) {
            String[] cells = lines.get(i + 1).split(",");
            assertEquals(Integer.toString(i), cells[0]);
            for (int j = 0; j < c; j++) {
                assertEquals(expected.get(i, j), Double.parseDouble(cells[j + 1]), 0, csv + " (" + i + ", " + j + ")");
            }
        }
    }

    private static void assertImage(Path png, int width, int height) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(width, image.getWidth(), png.toString());
        assertEquals(height, image.getHeight(), png.toString());
    }
}
