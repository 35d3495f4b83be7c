#!/usr/bin/python3
"""NumPy's side of test_npy_interop.

    /usr/bin/python3 interop_numpy.py DIR

1. Checks every file rnnscope wrote into DIR (listed in DIR/expected.json) against NumPy:
   np.load(allow_pickle=False) gives the expected dtype, shape and values (bit for bit, NaN
   where NaN, the sign of zero kept); every .npy is byte-identical to what np.save writes for
   the same values; every .npz is a valid zip of stored '<key>.npy' members with correct CRCs,
   lists its keys in file order, each member byte-identical to the one np.savez writes for the
   same values under the same name, and a Keras-layout archive holds get_weights() in order
   (arr_0 … arr_4 with shapes (D, M), (M, M), (M,), (M, K), (K,)), so that
   model.set_weights(list(np.load(f).values())) accepts it; a PyTorch-layout archive holds the
   same weights transposed (weight_ih_l0 = Wxᵀ, …).
2. Writes NumPy's own files into DIR/from_numpy/ (np.save, np.savez, np.savez_compressed,
   format.write_array with versions 2.0 and 3.0, Fortran order, big-endian, scalars, empty
   arrays, NaN/Inf) and their values into DIR/from_numpy/expected.json for rnnscope to read.

Exit status: 0 all good, 1 a mismatch (each one printed), 77 NumPy is missing.
"""
import io
import json
import math
import os
import sys
import zipfile

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print("numpy is not installed")
    sys.exit(77)

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def decode(values):
    return np.array([float(v) if not isinstance(v, str) else float(v) for v in values], dtype=np.float64)


def encode(array):
    out = []
    for v in np.asarray(array, dtype=np.float64).ravel(order="C"):
        v = float(v)
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def same_values(actual, expected_values):
    a = np.asarray(actual, dtype=np.float64).ravel(order="C")
    e = decode(expected_values)
    if a.shape != e.shape:
        return False
    both_nan = np.isnan(a) & np.isnan(e)
    equal = (a == e) & (np.signbit(a) == np.signbit(e))
    return bool(np.all(both_nan | equal))


def expected_array(expected):
    """The array expected.json describes (dtype, shape, values), built by NumPy alone: what np.save and
    np.savez are given to compare their bytes with rnnscope's."""
    return decode(expected["values"]).astype(np.dtype(expected["descr"])).reshape(expected["shape"])


def npz_members(data):
    """The member names of a zip, in order, and each member's bytes (the .npy it stores)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def check_npz_bytes(path, entry):
    """Each member of rnnscope's .npz holds, byte for byte, the .npy that np.savez writes for the same
    array under the same name, in the same order. The zip containers themselves legitimately differ:
    np.savez gives every member a zip64 extra field (force_zip64) and its own external attributes, so
    the members' bytes are compared, not the whole file."""
    buffer = io.BytesIO()
    np.savez(buffer, **{key: expected_array(entry["arrays"][key]) for key in entry["keys"]})
    with open(path, "rb") as f:
        ours = npz_members(f.read())
    theirs = npz_members(buffer.getvalue())
    if [name for name, _ in ours] != [name for name, _ in theirs]:
        fail(f"{entry['file']}: members {[n for n, _ in ours]}, np.savez writes {[n for n, _ in theirs]}")
        return
    for (name, a), (_, b) in zip(ours, theirs):
        if a != b:
            fail(f"{entry['file']}: member {name} differs from np.savez's ({len(a)} vs {len(b)} bytes)")


def check_array(label, array, expected):
    if array.dtype.str != expected["descr"]:
        fail(f"{label}: dtype {array.dtype.str}, expected {expected['descr']}")
    if list(array.shape) != list(expected["shape"]):
        fail(f"{label}: shape {array.shape}, expected {tuple(expected['shape'])}")
    elif not same_values(array, expected["values"]):
        fail(f"{label}: values differ")


def check_npy(directory, entry):
    path = os.path.join(directory, entry["file"])
    array = np.load(path, allow_pickle=False)
    check_array(entry["file"], array, entry)
    buffer = io.BytesIO()
    np.save(buffer, expected_array(entry))
    with open(path, "rb") as f:
        ours = f.read()
    if ours != buffer.getvalue():
        fail(f"{entry['file']}: bytes differ from np.save ({len(ours)} vs {len(buffer.getvalue())} bytes)")


def check_npz(directory, entry):
    path = os.path.join(directory, entry["file"])
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            fail(f"{entry['file']}: member {bad} has a bad CRC")
        names = [i.filename for i in z.infolist()]
        if names != [k + ".npy" for k in entry["keys"]]:
            fail(f"{entry['file']}: members {names}")
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                fail(f"{entry['file']}: member {info.filename} is compressed (np.savez stores)")
    check_npz_bytes(path, entry)
    with np.load(path, allow_pickle=False) as npz:
        keys = list(npz.keys())
        if keys != entry["keys"]:
            fail(f"{entry['file']}: keys {keys}, expected {entry['keys']}")
        for key in entry["keys"]:
            check_array(f"{entry['file']}[{key!r}]", npz[key], entry["arrays"][key])
        values = list(npz.values())
        d, m, k = entry["dims"]
        if entry["layout"] == "keras":
            wanted = [(d, m), (m, m), (m,)] + ([(m, k), (k,)] if k > 0 else [])
            if [v.shape for v in values] != wanted:
                fail(f"{entry['file']}: get_weights() shapes {[v.shape for v in values]}, expected {wanted}")
            if keys != [f"arr_{i}" for i in range(len(wanted))]:
                fail(f"{entry['file']}: keys {keys} are not arr_0…")
        elif entry["layout"] == "pytorch":
            wanted = {"rnn.weight_ih_l0": (m, d), "rnn.weight_hh_l0": (m, m), "rnn.bias_ih_l0": (m,), "rnn.bias_hh_l0": (m,)}
            if k > 0:
                wanted.update({"fc.weight": (k, m), "fc.bias": (k,)})
            got = {key: npz[key].shape for key in keys}
            if got != wanted:
                fail(f"{entry['file']}: state_dict shapes {got}, expected {wanted}")


def check_pair(directory, pair):
    with np.load(os.path.join(directory, pair["keras"])) as k, np.load(os.path.join(directory, pair["pytorch"])) as t:
        w = list(k.values())
        checks = [
            ("Wx = weight_ih_l0.T", w[0], t["rnn.weight_ih_l0"].T),
            ("Wh = weight_hh_l0.T", w[1], t["rnn.weight_hh_l0"].T),
            ("bh = bias_ih_l0 + bias_hh_l0", w[2], t["rnn.bias_ih_l0"] + t["rnn.bias_hh_l0"]),
        ]
        if len(w) == 5:
            checks += [("Wo = fc.weight.T", w[3], t["fc.weight"].T), ("bo = fc.bias", w[4], t["fc.bias"])]
        for what, a, b in checks:
            if a.shape != b.shape or not np.array_equal(a, b):
                fail(f"{pair['keras']} vs {pair['pytorch']}: {what} does not hold")


def describe(array):
    array = np.asarray(array)
    return {"shape": list(array.shape), "dtype": "float32" if array.dtype.itemsize == 4 else "float64",
            "values": encode(array)}


def write_numpy_files(directory):
    out = os.path.join(directory, "from_numpy")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    expected = {"npy": [], "npz": []}

    def save(name, array, writer=None):
        path = os.path.join(out, name)
        if writer is None:
            np.save(path, array)
        else:
            with open(path, "wb") as f:
                writer(f, array)
        entry = describe(array)
        entry["file"] = name
        expected["npy"].append(entry)

    f4 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    save("fortran_rank3.npy", np.asfortranarray(f4))
    save("fortran_matrix_f8.npy", np.asfortranarray(rng.standard_normal((5, 7))))
    save("big_endian_f8.npy", rng.standard_normal((3, 5)).astype(">f8"))
    save("big_endian_f4.npy", rng.standard_normal((4,)).astype(">f4"))
    save("big_endian_fortran.npy", np.asfortranarray(rng.standard_normal((3, 2, 2)).astype(">f4")))
    save("version2.npy", f4, lambda f, a: np.lib.format.write_array(f, a, version=(2, 0)))
    save("version3.npy", f4, lambda f, a: np.lib.format.write_array(f, a, version=(3, 0)))
    save("scalar.npy", np.array(3.5))
    save("scalar_f4.npy", np.array(-1.25, dtype=np.float32))
    save("empty.npy", np.zeros((0, 3), dtype=np.float32))
    save("nonfinite.npy", np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32))
    save("large.npy", rng.standard_normal((300, 257)))

    d, m, k = 3, 6, 2
    weights = [rng.standard_normal(s).astype(np.float32) for s in [(d, m), (m, m), (m,), (m, k), (k,)]]

    def savez(name, writer, arrays, dims=None):
        path = os.path.join(out, name)
        writer(path, **arrays)
        entry = {"file": name, "keys": list(arrays.keys()),
                 "arrays": {key: describe(a) for key, a in arrays.items()}}
        if dims is not None:
            entry["dims"] = list(dims)
        expected["npz"].append(entry)

    savez("savez_positional.npz", np.savez, {f"arr_{i}": w for i, w in enumerate(weights)}, (d, m, k))
    names = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]
    savez("savez_compressed_named.npz", np.savez_compressed, dict(zip(names, weights)), (d, m, k))
    savez("savez_compressed_large.npz", np.savez_compressed,
          {"kernel": rng.standard_normal((64, 128)), "recurrent_kernel": rng.standard_normal((128, 128)),
           "bias": np.zeros(128)}, (64, 128, 0))
    torch = {
        "rnn.weight_ih_l0": np.ascontiguousarray(weights[0].T),
        "rnn.weight_hh_l0": np.ascontiguousarray(weights[1].T),
        "rnn.bias_ih_l0": weights[2] * np.float32(0.5),
        "rnn.bias_hh_l0": weights[2] * np.float32(0.5),
        "fc.weight": np.ascontiguousarray(weights[3].T),
        "fc.bias": weights[4],
    }
    savez("torch_state_dict.npz", np.savez, torch, (d, m, k))
    savez("mixed_storage.npz", np.savez,
          {"kernel": np.asfortranarray(weights[0]), "recurrent_kernel": weights[1].astype(">f4"),
           "bias": weights[2].astype(np.float64), "X": rng.standard_normal((2, 5, d))}, (d, m, 0))

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    return len(expected["npy"]) + len(expected["npz"])


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = sys.argv[1]
    with open(os.path.join(directory, "expected.json")) as f:
        expected = json.load(f)
    for entry in expected["npy"]:
        check_npy(directory, entry)
    for entry in expected["npz"]:
        check_npz(directory, entry)
    for pair in expected["pairs"]:
        check_pair(directory, pair)
    written = write_numpy_files(directory)
    checked = len(expected["npy"]) + len(expected["npz"]) + len(expected["pairs"])
    print(f"numpy {np.__version__}: checked {checked} files written by rnnscope, {len(failures)} failures; "
          f"wrote {written} files for rnnscope to read")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
