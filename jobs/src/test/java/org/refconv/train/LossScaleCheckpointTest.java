package org.refconv.train;

import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.dist.Collectives;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.Device;
import org.refconv.engine.Precision;
import org.refconv.optim.LossScaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * fp16's loss scale is training state: rank 0's checkpoints save it (scale and growth count) and a run resumed in
 * fp16 continues with it, through the trainer's own RankState and RunWriter on real checkpoint files. fp16 runs on
 * GPUs only, so the rank state is built here for the CPU with the precision given, as Placement would resolve it
 * on a GPU.
 */
class LossScaleCheckpointTest {

    private static final Configuration CONF = new Configuration();

    private static RankState state(TrainConfig config, Collectives group, Precision precision) throws Exception {
        return RankState.create(
                config, group, Device.CPU, precision, CONF, new TrainCheckpoints(config.output(), CONF));
    }

    /** Rank 0's writer records step {@code step} (a multiple of checkpointEvery: a checkpoint is written). */
    private static String checkpointAt(TrainConfig config, RankState state, long step) throws Exception {
        RunLayout layout = RunLayout.of(config.output());
        AttemptFence.record(layout, CONF, "1.0");
        RunWriter.forRank(0, config, 1, 100, CONF, new AttemptFence(layout, CONF, "1.0"))
                .stepDone(new RunWriter.Progress(1, step, 100, step, 2.0, 0.01, 10), state);
        return RunLayout.of(config.output()).checkpoint(step);
    }

    @Test
    void anFp16RunResumesWithItsScaleAndOtherPrecisionsNeitherSaveNorTakeIt(@TempDir Path dir) throws Exception {
        TrainConfig config = TrainArgs.fashion(
                        "pretrain",
                        "cifar_quick",
                        dir.resolve("data").toUri().toString(),
                        dir.resolve("run").toUri().toString())
                .with("checkpointEvery", 2)
                .with("keepCheckpoints", 5)
                .config();
        LocalRanks.run(1, c -> {
            try {
                RankState fp16 = state(config, c, Precision.FP16);
                LossScaler scaler = fp16.lossScaler();
                assertEquals(LossScaler.INIT_SCALE, scaler.scale(), "a fresh run starts at GradScaler's scale");
                scaler.update(true); // an overflow: 65536 -> 32768
                for (int i = 0; i < 3; i++) {
                    scaler.update(false);
                }
                String written = checkpointAt(config, fp16, 2);
                var metadata = SafeTensors.read(written, CONF).metadata();
                assertEquals("32768.0", metadata.get(LossScaler.SCALE_KEY));
                assertEquals("3", metadata.get(LossScaler.GOOD_STEPS_KEY));

                RankState resumed = state(config, c, Precision.FP16);
                assertEquals(2, resumed.startStep());
                assertEquals(32768.0, resumed.lossScaler().scale(), "the scale continues");
                assertEquals(3, resumed.lossScaler().goodSteps(), "and so does the count towards the next doubling");

                // The same checkpoint resumed in bf16: no scaler, and its checkpoints carry no scale.
                RankState bf16 = state(config, c, Precision.BF16);
                assertFalse(bf16.lossScaler().enabled());
                assertEquals(1.0, bf16.lossScaler().scale());
                String bf16Written = checkpointAt(config, bf16, 4);
                assertNull(SafeTensors.read(bf16Written, CONF).metadata().get(LossScaler.SCALE_KEY));

                // Back to fp16 from the bf16 checkpoint: GradScaler's initial scale, not a stale one.
                RankState again = state(config, c, Precision.FP16);
                assertEquals(4, again.startStep());
                assertEquals(LossScaler.INIT_SCALE, again.lossScaler().scale());
                assertEquals(0, again.lossScaler().goodSteps());
                return null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
