package org.refconv.publish;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.checkpoint.Checkpoints;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.data.input.Augment;
import org.refconv.data.input.Preprocessing;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.io.HadoopFiles;
import org.refconv.models.Classifier;
import org.refconv.train.Evaluator;
import org.refconv.train.HeadChoice;
import org.refconv.train.RunConfigFile;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;
import org.refconv.train.TrainKeys;

/**
 * Publishes a finished train run: rebuild and fold the model, verify it (keys and shapes equal the basis'; folded
 * and RefConv logits agree; top-1/top-5 on the whole validation split), write {@code model.safetensors} and
 * {@code model-card.json} as a new immutable version, and move {@code LATEST} if the gate passes.
 * Runs on this JVM (the Spark driver, or any host): evaluation is one pass on one host.
 */
public final class Publisher {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Configuration conf;

    public Publisher(Configuration conf) {
        this.conf = conf;
    }

    public PublishResult publish(PublishConfig pc) throws IOException {
        TrainedRun run = TrainedRun.open(pc.get(PublishConfig.RUN), conf);
        TrainConfig tc = run.config();
        ModelRegistry registry = new ModelRegistry(pc.get(PublishConfig.ROOT), tc.model(), conf);
        if (registry.exists(pc.get(PublishConfig.VERSION_NAME))) {
            return finishExisting(registry, pc);
        }
        for (String stale : registry.discardStale(pc.get(PublishConfig.VERSION_NAME))) {
            System.out.println("publish: removed the temporary folder of an interrupted publish: " + stale);
        }
        Engine.setThreads(pc.get(PublishConfig.THREADS));
        String data = pc.get(PublishConfig.DATA).isEmpty() ? tc.data() : pc.get(PublishConfig.DATA);

        System.out.println("publish: rebuilding " + tc.model() + " from " + run.modelUri()
                + (run.reparameterized()
                        ? " and folding its re-parameterized layers"
                        : " (plain model: nothing to fold)"));
        RunModels models = RunModels.of(tc, run.state());
        StateDict published = Modules.toStateDict(models.plain());

        // (a) keys and shapes: those of the basis checkpoint, or of the architecture itself when there is none.
        boolean hasBasis = !tc.checkpointIn().isEmpty();
        StateDict reference =
                hasBasis ? Checkpoints.read(tc.checkpointIn(), conf) : Modules.toStateDict(RunModels.plainModel(tc));
        String referenceName = hasBasis ? tc.checkpointIn() : "the " + tc.model() + " architecture";
        HeadChoice head = HeadChoice.decide(tc, Modules.stateDict(models.plain()), hasBasis ? reference : null);
        List<String> differences =
                KeyCheck.differences(published, reference, head.isNew() ? Set.copyOf(head.keys()) : Set.of());
        if (!differences.isEmpty()) {
            throw new VerificationException(
                    "the model to publish does not have the keys and shapes of " + referenceName + ": " + differences);
        }

        // (b) folded vs trained (RefConv or Rep-Adapter) logits, (c) accuracy of the published model (and of the basis,
        // for comparison; a basis with another head has no scores on these classes).
        Classifier baseline = null;
        if (hasBasis && !head.isNew()) {
            baseline = RunModels.plainModel(tc);
            Modules.load(baseline, reference, true);
            baseline.eval();
        }
        System.out.println("publish: evaluating on " + data + "/val");
        Augment augment = Augment.parse(tc.get(TrainKeys.AUGMENT));
        ValidationPass.Result r = new ValidationPass(
                        data + "/val",
                        augment.eval(tc.imageSize()),
                        tc.numClasses(),
                        pc.get(PublishConfig.EVAL_BATCH),
                        pc.get(PublishConfig.THREADS),
                        conf)
                .run(
                        models.plain(),
                        run.reparameterized() ? models.trained() : null,
                        baseline,
                        pc.get(PublishConfig.SAMPLE_IMAGES));
        if (run.reparameterized() && !(r.maxRelativeDifference() <= pc.get(PublishConfig.MAX_RELATIVE_DIFFERENCE))) {
            throw new VerificationException(String.format(
                    Locale.ROOT,
                    "the folded model's logits differ from the"
                            + " trained model's by %.3g (relative, on %d images), above the limit %.3g",
                    r.maxRelativeDifference(),
                    r.sampledImages(),
                    pc.get(PublishConfig.MAX_RELATIVE_DIFFERENCE)));
        }

        Optional<Gate.Current> current = current(registry);
        Gate.Decision decision = Gate.decide(
                pc.get(PublishConfig.PROMOTE),
                pc.get(PublishConfig.GATE_TOLERANCE),
                r.published().top1(),
                current);

        ModelCard card = new ModelCard(
                        pc.get(PublishConfig.VERSION_NAME),
                        tc,
                        Modules.count(Modules.stateDict(models.plain()).values()),
                        published.size(),
                        models.foldedLayers())
                .head(head.layer(), head.isNew(), head.reason())
                .classes(datasetManifest(data).path("classes"))
                .preprocessing(Preprocessing.describe(augment, tc.imageSize()))
                .verification(CardSections.verification(referenceName, published.size(), r, pc))
                .metrics(CardSections.metrics(data, r))
                .training(RunConfigFile.toJson(tc), epochMetrics(pc.get(PublishConfig.RUN)))
                .source("trained run model", run.modelUri(), run.modelSha256())
                .promotion(CardSections.promotion(pc, current, decision));
        if (hasBasis) {
            card.source("basis checkpoint", tc.checkpointIn(), Sha256.of(tc.checkpointIn(), conf));
        }
        card.source(
                "dataset manifest",
                data + "/" + DatasetOutput.MANIFEST,
                Sha256.of(data + "/" + DatasetOutput.MANIFEST, conf));

        published.metadata().put("format", "pt");
        published.metadata().put("model", tc.model());
        published.metadata().put("version", pc.get(PublishConfig.VERSION_NAME));
        String staged = registry.stage(pc.get(PublishConfig.VERSION_NAME));
        try {
            SafeTensors.write(published, staged + "/" + ModelRegistry.MODEL, conf);
            card.model(Sha256.of(staged + "/" + ModelRegistry.MODEL, conf));
            card.write(staged + "/" + ModelRegistry.CARD, conf); // last: a folder with a card is complete
            FaultInjection.pauseAt("staged");
            registry.commit(staged, pc.get(PublishConfig.VERSION_NAME));
        } catch (IOException | RuntimeException e) {
            registry.discard(staged);
            throw e;
        }
        if (decision.promote()) {
            FaultInjection.pauseAt("committed");
            registry.promote(pc.get(PublishConfig.VERSION_NAME));
        }
        Evaluator.Scores base = r.baseline();
        return new PublishResult(
                pc.get(PublishConfig.VERSION_NAME),
                registry.versionUri(pc.get(PublishConfig.VERSION_NAME)),
                decision.promote(),
                decision.reason(),
                r.published().images(),
                r.published().top1(),
                r.published().top5(),
                base == null ? Double.NaN : base.top1(),
                base == null ? Double.NaN : base.top5(),
                r.maxRelativeDifference(),
                false);
    }

    /**
     * The version is already published (a rerun): nothing is rewritten. With {@code promote = always} it becomes
     * LATEST (promotion by hand). If its card says it was promoted but a kill came before LATEST moved, the
     * promotion is finished, unless LATEST has moved on to another version since.
     */
    private PublishResult finishExisting(ModelRegistry registry, PublishConfig pc) throws IOException {
        JsonNode card = registry.card(pc.get(PublishConfig.VERSION_NAME));
        boolean promoted = card.path("promotion").path("promoted").asBoolean(false);
        String reason = card.path("promotion").path("reason").asText();
        Optional<String> latest = registry.latest();
        String previous =
                card.path("promotion").path("previous").path("version").asText("");
        boolean isLatestNow = latest.equals(Optional.of(pc.get(PublishConfig.VERSION_NAME)));
        if (!isLatestNow && pc.get(PublishConfig.PROMOTE).equals("always")) {
            registry.promote(pc.get(PublishConfig.VERSION_NAME));
            reason = "promoted by hand (promote = always) after publishing";
            System.out.println(
                    "publish: " + pc.get(PublishConfig.VERSION_NAME) + " promoted to LATEST (promote = always)");
        } else if (!isLatestNow && promoted && latest.orElse("").equals(previous)) {
            registry.promote(pc.get(PublishConfig.VERSION_NAME));
            System.out.println("publish: " + pc.get(PublishConfig.VERSION_NAME)
                    + " was published but LATEST had not moved: promoted now");
        }
        boolean isLatest = registry.latest().equals(Optional.of(pc.get(PublishConfig.VERSION_NAME)));
        System.out.println("publish: version " + pc.get(PublishConfig.VERSION_NAME) + " is already published at "
                + registry.versionUri(pc.get(PublishConfig.VERSION_NAME)) + (isLatest ? " (LATEST)" : " (not LATEST)"));
        return PublishResult.fromCard(registry.versionUri(pc.get(PublishConfig.VERSION_NAME)), card, isLatest, reason);
    }

    private Optional<Gate.Current> current(ModelRegistry registry) throws IOException {
        Optional<String> latest = registry.latest();
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        JsonNode top1 = registry.card(latest.get()).path("metrics").path("top1");
        return Optional.of(new Gate.Current(latest.get(), top1.isNumber() ? top1.asDouble() : Double.NaN));
    }

    private JsonNode datasetManifest(String data) throws IOException {
        Path root = new Path(data);
        return org.refconv.data.prepare.Manifest.read(root.getFileSystem(conf), root);
    }

    /** The run's per-epoch metrics lines (metrics.jsonl), if any. */
    private List<JsonNode> epochMetrics(String run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : HadoopFiles.readText(RunLayout.of(run).metrics(), conf)
                .orElse("")
                .split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }
}
