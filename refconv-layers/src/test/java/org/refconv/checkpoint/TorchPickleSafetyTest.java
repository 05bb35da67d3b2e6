package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The allow-list of the .pth unpickler: checkpoints PyTorch wrote with a payload, and hand-assembled pickles that
 * aim at what Pyrolite would otherwise construct. Opcodes used below: \u0080\u0002 PROTO 2, c GLOBAL, V UNICODE,
 * \u0093 STACK_GLOBAL, i INST, o OBJ, ( MARK, ) EMPTY_TUPLE, R REDUCE, } EMPTY_DICT, s SETITEM, b BUILD,
 * K BININT1, . STOP.
 */
class TorchPickleSafetyTest {
    private static final String WEIGHTS_ONLY =
            ": only tensor state_dicts are loaded (like torch.load(weights_only=True))";

    private static String refusal(String pickle) {
        byte[] checkpoint = TorchZips.checkpointWithPickle(TorchZips.pickle(pickle));
        return assertThrows(
                        CheckpointFormatException.class,
                        () -> TorchCheckpoint.read(new ByteArrayInputStream(checkpoint), "evil.pth"))
                .getMessage();
    }

    private static String refusalOfFixture(String name) throws IOException {
        Files.deleteIfExists(Fixtures.PWNED_MARKER);
        Path path = Fixtures.path(name);
        String message = assertThrows(
                        CheckpointFormatException.class, () -> TorchCheckpoint.read(path.toString(), null))
                .getMessage();
        assertFalse(Files.exists(Fixtures.PWNED_MARKER), "the payload ran");
        return message.replace(path.toString(), name);
    }

    @Test
    void refusesACheckpointCallingOsSystem() throws IOException {
        assertEquals(
                "refused global 'posix system' in malicious_os_system.pth/malicious_os_system/data.pkl" + WEIGHTS_ONLY,
                refusalOfFixture("malicious_os_system.pth"));
    }

    @Test
    void refusesACheckpointCallingEval() throws IOException {
        assertEquals(
                "refused global '__builtin__ eval' in malicious_eval.pth/malicious_eval/data.pkl" + WEIGHTS_ONLY,
                refusalOfFixture("malicious_eval.pth"));
    }

    @Test
    void refusesPyrolitesDefaultConstructors() {
        assertEquals(
                "refused global 'datetime datetime' in evil.pth/archive/data.pkl" + WEIGHTS_ONLY,
                refusal("\u0080\u0002cdatetime\ndatetime\n)R."));
        assertEquals(
                "refused global '__builtin__ bytearray' in evil.pth/archive/data.pkl" + WEIGHTS_ONLY,
                refusal("\u0080\u0002c__builtin__\nbytearray\n)R."));
        assertEquals(
                "refused global 'copy_reg _reconstructor' in evil.pth/archive/data.pkl" + WEIGHTS_ONLY,
                refusal("\u0080\u0002ccopy_reg\n_reconstructor\n)R."));
    }

    @Test
    void refusesGlobalsNamedByEveryOpcode() {
        assertEquals(
                "refused global 'builtins getattr' in evil.pth/archive/data.pkl" + WEIGHTS_ONLY,
                refusal("\u0080\u0002Vbuiltins\nVgetattr\n\u0093."));
        assertEquals(
                "refused global 'os system' in evil.pth/archive/data.pkl" + WEIGHTS_ONLY,
                refusal("(Vtouch /tmp/x\nios\nsystem\n."));
        assertEquals(
                "evil.pth/archive/data.pkl: pickle opcode 0x6f is not used by torch.save and is refused",
                refusal("\u0080\u0002(ccollections\nOrderedDict\no."));
    }

    @Test
    void refusesTorchScriptArchivesWithAHint() {
        assertTrue(refusal("\u0080\u0002c__torch__\nNet\n)R.")
                .endsWith("; this looks like a TorchScript archive: "
                        + "save model.state_dict() with torch.save instead"));
    }

    @Test
    void refusesCallsAndStateOutsideTheAllowList() {
        assertEquals(
                "evil.pth/archive/data.pkl: refused to call torch.FloatStorage",
                refusal("\u0080\u0002ctorch\nFloatStorage\n)R."));
        assertEquals("evil.pth/archive/data.pkl: refused to call 'os.system'", refusal("\u0080\u0002Vos.system\n)R."));
        assertEquals(
                "evil.pth/archive/data.pkl: refused to set the state of a LinkedHashMap (only an "
                        + "OrderedDict's attributes are accepted)",
                refusal("\u0080\u0002}}b."));
    }

    @Test
    void acceptsOnlyDictsOfTensors() {
        assertEquals(
                "evil.pth/archive/data.pkl: the checkpoint holds 5, not a state dict (a dict of name -> " + "tensor)",
                refusal("\u0080\u0002K\u0005."));
        assertEquals(
                "evil.pth/archive/data.pkl: entry 'epoch' holds 3, not a tensor: only a state dict of name -> "
                        + "tensor is supported (torch.save(model.state_dict()))",
                refusal("\u0080\u0002}Vepoch\nK\u0003s."));
        byte[] emptyOrderedDict =
                TorchZips.checkpointWithPickle(TorchZips.pickle("\u0080\u0002ccollections\nOrderedDict\n)R}b."));
        assertEquals(
                0,
                assertDoesNotThrow(() -> TorchCheckpoint.read(new ByteArrayInputStream(emptyOrderedDict), "ok.pth"))
                        .size());
    }

    @Test
    void reportsMalformedPicklesWithoutLeakingInternals() {
        String message = refusal("\u0080\u0002s.");
        assertTrue(message.startsWith("evil.pth/archive/data.pkl: malformed pickle ("), message);
    }

    /** {'w': a float tensor of shape [n], stride [0] over storage data/0 of one float}: torch's expand(). */
    private static byte[] zeroStrideCheckpoint(int n) {
        String size = new String(
                java.nio.ByteBuffer.allocate(4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putInt(n)
                        .array(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        String pickle = "\u0080\u0002}Vw\nctorch._utils\n_rebuild_tensor_v2\n("
                + "(Vstorage\nctorch\nFloatStorage\nV0\nVcpu\nK\u0001tQ" // BINPERSID of a 1-element storage
                + "K\u0000J" + size + "\u0085K\u0000\u0085\u0089}tRs.";
        java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("archive/data.pkl", TorchZips.pickle(pickle));
        entries.put("archive/data/0", new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f
        return TorchZips.zip(entries, java.util.zip.ZipEntry.STORED);
    }

    @Test
    void tensorsMayNotCopyTheirStoragesMoreThanABoundedNumberOfTimes() throws IOException {
        // Four copies of the storage's bytes are allowed (tied weights need two), a thousand are refused unallocated.
        StateDict four = TorchCheckpoint.read(new ByteArrayInputStream(zeroStrideCheckpoint(4)), "x.pth");
        assertEquals(4, StateDictUnpickler.MAX_TENSOR_BYTES_PER_STORAGE_BYTE);
        assertEquals(java.util.List.of(1f, 1f, 1f, 1f), boxed(four.get("w").toFloatArray()));
        CheckpointFormatException e = assertThrows(
                CheckpointFormatException.class,
                () -> TorchCheckpoint.read(new ByteArrayInputStream(zeroStrideCheckpoint(1000)), "x.pth"));
        assertEquals(
                "x.pth/archive/data.pkl: a F32 tensor of shape [1000] (4000 bytes) would take the tensors past 4"
                        + " times the 4 bytes of their storages (repeated or zero-stride views)",
                e.getMessage());
    }

    private static java.util.List<Float> boxed(float[] values) {
        java.util.List<Float> list = new java.util.ArrayList<>();
        for (float v : values) {
            list.add(v);
        }
        return list;
    }

    @Test
    void countedStringsLongerThanThePickleAreRefusedBeforeAllocating() {
        // BINUNICODE and BINBYTES claiming 2 GiB - 1 bytes, LONG4 claiming 1 MiB: Pyrolite would allocate first.
        assertEquals(
                "evil.pth/archive/data.pkl: opcode 0x58 claims 2147483647 bytes but only 0 follow",
                refusal("\u0080\u0002X\u00ff\u00ff\u00ff\u007f"));
        assertEquals(
                "evil.pth/archive/data.pkl: opcode 0x42 claims 2147483647 bytes but only 1 follow",
                refusal("\u0080\u0003B\u00ff\u00ff\u00ff\u007f."));
        assertEquals(
                "evil.pth/archive/data.pkl: opcode 0x8b claims 1048576 bytes but only 1 follow",
                refusal("\u0080\u0002\u008b\u0000\u0000\u0010\u0000."));
    }

    @Test
    void storageKeysArePlainNames() {
        // A persistent id naming storage '../version' would read archive/data/../version if the zip had one.
        assertEquals(
                "evil.pth/archive/data.pkl: storage key '../version' is not a plain name (torch.save uses 0, 1, ...)",
                refusal("\u0080\u0002(Vstorage\nctorch\nFloatStorage\nV../version\nVcpu\nK\u0001tQ."));
    }
}
