package org.refconv.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.CifarQuick;
import org.refconv.models.Classifier;
import org.refconv.optim.Sgd;
import org.refconv.optim.WarmupCosine;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.Reparameterization;

/**
 * RefConv end to end on real data, in one JVM: pretrain Cifar-quick on Fashion-MNIST (the basis), refocus it
 * (freeze the basis, train only Wr, biases and the classifier), fold the RefConv layers back into plain convs, check
 * the folded model gives the same logits, and write it as safetensors with the plain model's keys.
 *
 * <p>Arguments: {@code --data DIR --out DIR --train-limit N --pretrain-epochs E --refocus-epochs E --batch B
 * --threads T --seed S}.
 */
public final class RefConvDemo {

    private RefConvDemo() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = parse(args);
        Path data = Path.of(opt.getOrDefault("data", FashionMnist.DEBIAN_DIR.toString()));
        Path out = Path.of(opt.getOrDefault("out", "target/demo"));
        int trainLimit = Integer.parseInt(opt.getOrDefault("train-limit", "0"));
        int pretrainEpochs = Integer.parseInt(opt.getOrDefault("pretrain-epochs", "2"));
        int refocusEpochs = Integer.parseInt(opt.getOrDefault("refocus-epochs", "1"));
        int batch = Integer.parseInt(opt.getOrDefault("batch", "128"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        long seed = Long.parseLong(opt.getOrDefault("seed", "0"));

        Engine.setThreads(threads);
        Engine.manualSeed(seed);
        FashionMnist train = FashionMnist.load(data, "train", trainLimit);
        FashionMnist test = FashionMnist.load(data, "t10k", 0);
        System.out.printf("Fashion-MNIST: %d train, %d test images (1x32x32), %d threads%n", train.count(), test.count(),
                Engine.threads());

        CifarQuick basis = new CifarQuick(ConvFactory.plain(), 1, 10, FashionMnist.SIZE);
        System.out.println("== pretrain the basis (plain Cifar-quick)");
        train(basis, Modules.trainableParameters(basis), train, pretrainEpochs, batch, 0.05, seed);
        double baseline = accuracy(basis, test, 500);
        System.out.printf("baseline top-1: %.2f%%%n", 100 * baseline);

        System.out.println("== refocus: basis frozen, Wr trained (Xavier init, rule 'all')");
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        CifarQuick refocused = new CifarQuick(refocuser, 1, 10, FashionMnist.SIZE);
        Reparameterization.loadBasis(refocused, refocuser, Modules.toStateDict(basis), "pretrained basis");
        Map<String, Tensor> trainable = Modules.trainableParameters(refocused);
        System.out.println("trainable tensors: " + trainable.keySet());
        train(refocused, trainable, train, refocusEpochs, batch, 0.01, seed + 1);
        double refocusedAcc = accuracy(refocused, test, 500);
        System.out.printf("RefConv top-1: %.2f%%%n", 100 * refocusedAcc);

        System.out.println("== re-parameterize: Wt = Wb * Wr + Wb into plain convs");
        CifarQuick folded = new CifarQuick(ConvFactory.plain(), 1, 10, FashionMnist.SIZE);
        Reparameterization.fold(refocused, refocuser, folded);
        double diff = maxRelativeLogitDiff(refocused, folded, test);
        double foldedAcc = accuracy(folded, test, 500);
        System.out.printf("folded model: top-1 %.2f%%, max relative logit difference to RefConv %.2e%n",
                100 * foldedAcc, diff);
        if (diff > 1e-4) {
            throw new IllegalStateException("folded model disagrees with the RefConv model: " + diff);
        }
        StateDict published = Modules.toStateDict(folded);
        published.metadata().put("model", "cifar_quick");
        published.metadata().put("baseline_top1", String.valueOf(baseline));
        published.metadata().put("refconv_top1", String.valueOf(foldedAcc));
        Files.createDirectories(out);
        Path file = out.resolve("cifar_quick_refconv.safetensors").toAbsolutePath();
        SafeTensors.write(published, file.toString(), null);
        System.out.printf("%nbaseline top-1 %.2f%% -> RefConv top-1 %.2f%% (same architecture and inference cost)%n",
                100 * baseline, 100 * foldedAcc);
        System.out.println("published plain model: " + file + " (keys " + published.keys() + ")");
    }

    /** SGD with momentum 0.9 and weight decay 4e-5 (the paper's recipe), warmup over the first epoch, then cosine. */
    static void train(Classifier model, Map<String, Tensor> params, FashionMnist data, int epochs, int batch,
                      double lr, long seed) {
        int stepsPerEpoch = data.count() / batch;
        long total = (long) stepsPerEpoch * epochs;
        WarmupCosine schedule = new WarmupCosine(lr, Math.min(stepsPerEpoch, total / 2), total);
        Sgd sgd = new Sgd(params, lr, 0.9, 4e-5);
        int[] order = new int[data.count()];
        Arrays.setAll(order, i -> i);
        Random rnd = new Random(seed);
        model.train(true);
        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            shuffle(order, rnd);
            long start = System.nanoTime();
            double lossSum = 0;
            for (int s = 0; s < stepsPerEpoch; s++, step++) {
                try (StepScope ignored = StepScope.open()) {
                    Tensor x = images(data, order, s * batch, batch);
                    Tensor y = labels(data, order, s * batch, batch);
                    sgd.setLearningRate(schedule.lr(step));
                    sgd.zeroGrad();
                    Tensor loss = Ops.crossEntropy(model.forward(x), y);
                    loss.backward();
                    sgd.step();
                    lossSum += loss.item_double();
                }
                if ((s + 1) % 50 == 0 || s + 1 == stepsPerEpoch) {
                    double secs = (System.nanoTime() - start) / 1e9;
                    System.out.printf("\repoch %d/%d  step %d/%d  loss %.4f  %.0f img/s   ", epoch + 1, epochs, s + 1,
                            stepsPerEpoch, lossSum / (s + 1), (s + 1) * batch / secs);
                }
            }
            System.out.println();
        }
        model.eval();
    }

    static double accuracy(Classifier model, FashionMnist data, int batch) {
        model.eval();
        long correct = 0;
        int[] order = new int[data.count()];
        Arrays.setAll(order, i -> i);
        for (int start = 0; start < data.count(); start += batch) {
            int n = Math.min(batch, data.count() - start);
            try (StepScope ignored = StepScope.openWithoutTrim(); NoGrad ng = NoGrad.enter()) {
                Tensor pred = Ops.argmax(model.forward(images(data, order, start, n)));
                long[] p = Tensors.toLongs(pred);
                for (int i = 0; i < n; i++) {
                    if (p[i] == data.labels()[start + i]) {
                        correct++;
                    }
                }
            }
        }
        return (double) correct / data.count();
    }

    static double maxRelativeLogitDiff(Classifier a, Classifier b, FashionMnist data) {
        int[] order = new int[Math.min(1000, data.count())];
        Arrays.setAll(order, i -> i);
        try (StepScope ignored = StepScope.openWithoutTrim(); NoGrad ng = NoGrad.enter()) {
            Tensor x = images(data, order, 0, order.length);
            Tensor la = a.forward(x);
            return Ops.maxAbsDiff(la, b.forward(x)) / Ops.maxAbs(la);
        }
    }

    private static Tensor images(FashionMnist data, int[] order, int from, int n) {
        int px = FashionMnist.SIZE * FashionMnist.SIZE;
        float[] batch = new float[n * px];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data.images(), order[from + i] * px, batch, i * px, px);
        }
        return Tensors.fromFloats(batch, n, 1, FashionMnist.SIZE, FashionMnist.SIZE);
    }

    private static Tensor labels(FashionMnist data, int[] order, int from, int n) {
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = data.labels()[order[from + i]];
        }
        return Tensors.fromLongs(y, n);
    }

    private static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }
}
