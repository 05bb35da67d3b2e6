package org.refconv.checkpoint;

import java.util.List;
import java.util.Map;

/** Checked reads of unpickled values, each refusal naming the pickle ({@code pickleName}) it came from. */
final class PickleValues {

    private PickleValues() {}

    static void putPairs(String pickleName, List<Object> keysAndValues, Map<Object, Object> dict)
            throws CheckpointFormatException {
        if (keysAndValues.size() % 2 != 0) {
            throw new CheckpointFormatException(pickleName + ": dict items are not key/value pairs");
        }
        for (int i = 0; i < keysAndValues.size(); i += 2) {
            dict.put(keysAndValues.get(i), keysAndValues.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<Object, Object> asMap(String pickleName, Object target) throws CheckpointFormatException {
        if (!(target instanceof Map)) {
            throw new CheckpointFormatException(pickleName + ": SETITEMS on " + PickleGlobals.describe(target));
        }
        return (Map<Object, Object>) target;
    }

    static long[] longs(String pickleName, Object[] numbers) throws CheckpointFormatException {
        long[] values = new long[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            if (!(numbers[i] instanceof Number number)) {
                throw new CheckpointFormatException(
                        pickleName + ": expected integers, found " + PickleGlobals.describe(numbers));
            }
            values[i] = exactLong(pickleName, number);
        }
        return values;
    }

    static long exactLong(String pickleName, Number number) throws CheckpointFormatException {
        if (number instanceof Integer || number instanceof Long) {
            return number.longValue();
        }
        throw new CheckpointFormatException(pickleName + ": expected a 64-bit integer, found " + number);
    }
}
