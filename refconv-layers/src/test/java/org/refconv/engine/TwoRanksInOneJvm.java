package org.refconv.engine;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.refconv.layers.ConvFactory;
import org.refconv.models.CifarQuick;

/**
 * Two threads training cifar_quick side by side in one fresh JVM, as two ranks of Spark local mode do (one libtorch
 * thread each, channels-last batches of 4). Argument: {@code turns} to take turns at compute, {@code free} not to.
 * Exits 0 when both finish; a native crash ends the JVM with a signal.
 */
public final class TwoRanksInOneJvm {

    private TwoRanksInOneJvm() {}

    public static void main(String[] args) throws InterruptedException {
        ComputeTurns turns = ComputeTurns.forRanksSharingAJvm(args[0].equals("turns"));
        Thread[] ranks = new Thread[2];
        for (int r = 0; r < ranks.length; r++) {
            ranks[r] = new Thread(() -> train(turns));
            ranks[r].start();
        }
        for (Thread t : ranks) {
            t.join();
        }
    }

    private static void train(ComputeTurns turns) {
        Engine.setThreads(1);
        CifarQuick model;
        synchronized (TwoRanksInOneJvm.class) {
            Engine.manualSeed(1);
            model = new CifarQuick(ConvFactory.plain(), 3, 10, 32);
        }
        model.train(true);
        long[] labels = {0, 1, 2, 3};
        for (int step = 0; step < 3; step++) {
            try (PointerScope scope = new PointerScope()) {
                Tensor x = Tensors.randn(4, 3, 32, 32).contiguous(torch.MemoryFormat.ChannelsLast);
                try (ComputeTurns.Turn turn = turns.take()) {
                    Ops.crossEntropy(model.forward(x), Tensors.fromLongs(labels, 4))
                            .backward();
                }
            }
        }
    }
}
