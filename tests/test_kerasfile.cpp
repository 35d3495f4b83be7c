// Keras model files: every real fixture of shared/fixtures/keras opens or is refused as
// expected.json says, with the weights h5py reads from the same datasets; SimpleRNN, LSTM and GRU
// layers from every Keras generation (Keras 1's per-gate arrays joined in Keras 2's gate order);
// --layer chooses among stacked recurrent layers; Keras 3 weight groups are paired with the config
// by class, not by name; the reference predictions Keras computed are reproduced; edited,
// truncated and bit-flipped files are refused with one line, never a crash.
//
// The values to compare with come from an independent reader: /usr/bin/python3 with h5py dumps
// the datasets expected.json names (and writes the edited variants and a few files laid out as
// Keras 1 and Keras 3 write them) into a temporary folder.
//
// expected.json is read with at(), value() and contains() only: operator[] of a const JSON object
// on a missing key is undefined behaviour, and the fixtures' entries differ in what they record.

#include "common/error.h"
#include "io/kerasfile.h"
#include "io/modelrequest.h"
#include "io/npy.h"
#include "io/weightfile.h"
#include "nn/weights.h"
#include "testsupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>

using namespace rnnscope;
using namespace testsupport;

namespace {

// Dumps, with h5py, the datasets expected.json lists (weights.json: file → layer → role →
// values, a bias flat), the reference data beside the DL4J models (references.json, <model>_X.npy)
// and writes edited variants of real files and files laid out as Keras 1 and 3 write them.
const char *const kPythonHelper = R"PY(
import io, json, os, shutil, sys, zipfile
import h5py, numpy as np

shared, out = sys.argv[1], sys.argv[2]
K = os.path.join(shared, 'fixtures', 'keras')
expected = json.load(open(os.path.join(K, 'expected.json')))

def open_h5(path):
    if path.endswith('.keras'):
        with zipfile.ZipFile(path) as z:
            return h5py.File(io.BytesIO(z.read('model.weights.h5')), 'r')
    return h5py.File(path, 'r')

def values(a, role):
    a = np.asarray(a, dtype=np.float64)
    # A GRU's (2, 3M) bias flat, row 0 (the input bias) first, as rnnscope's Weights holds it.
    return (a.ravel() if role == 'bias' else a).tolist()

dump = {}
for f in expected['fixtures']:
    if f.get('weights'):
        h = open_h5(os.path.join(K, f['file']))
        dump[f['file']] = {l['name']: {w['role']: values(h[w['hdf5_path']], w['role']) for w in l['weights']}
                           for l in f['weights']}

# Keras 1 stores an LSTM gate by gate, <layer>_W_i, _U_i, _b_i, _W_c, … in the order i, c, f, o;
# Keras 2's fused arrays put the gates side by side in the order i, f, c, o (RECURRENT-LAYERS.md §1.3).
def keras1_fused(group, layer, gates):
    part = lambda m, g: np.asarray(group[f'{layer}_{m}_{g}:0'], dtype=np.float64)
    return {role: np.concatenate([part(m, g) for g in gates], axis=-1)
            for role, m in [('kernel', 'W'), ('recurrent_kernel', 'U'), ('bias', 'b')]}

with h5py.File(os.path.join(K, 'keras1_dl4j_lstm_model.h5'), 'r') as h:
    g = h['model_weights']
    dump['keras1_dl4j_lstm_model.h5'] = {
        'lstm_1': {k: v.tolist() for k, v in keras1_fused(g['lstm_1'], 'lstm_1', 'ifco').items()},
        'dense_1': {'kernel': values(g['dense_1/dense_1_W:0'], 'kernel'), 'bias': values(g['dense_1/dense_1_b:0'], 'bias')}}

# The reference files beside the DL4J models: X, Keras's predictions and last hidden state, where
# the file has them (keras2_dl4j_lstm_inputs_and_outputs.h5 holds inputs and training targets only).
references = {}
for model, reference, layer in [('keras2_dl4j_simple_rnn_model.h5', 'keras2_dl4j_simple_rnn_inputs_and_outputs.h5', 'simple_rnn_1'),
                                ('keras1_dl4j_lstm_model.h5', 'keras1_dl4j_lstm_inputs_and_outputs.h5', 'lstm_1'),
                                ('keras2_dl4j_lstm_model.h5', 'keras2_dl4j_lstm_inputs_and_outputs.h5', 'lstm_1')]:
    with h5py.File(os.path.join(K, reference), 'r') as ref:
        x = os.path.join(out, model + '_X.npy')
        np.save(x, ref['inputs'][list(ref['inputs'])[0]][()])
        entry = {'X': x}
        if 'predictions/dense_1' in ref:
            entry['predictions'] = ref['predictions/dense_1'][()].astype(float).tolist()
        if 'activations/' + layer in ref:
            entry['activations'] = ref['activations/' + layer][()].astype(float).tolist()
        references[model] = entry

# A Keras 1.2.2 GRU(4) -> Dense(2) on (6, 3), written here as Keras 1 lays it out: 9 arrays
# gru_1_W_z, _U_z, _b_z, _W_r, …, _W_h, …; inner_activation hard_sigmoid = clip(0.2x + 0.5, 0, 1).
# Its reference output follows Keras 1.2.2's GRU.step (recurrent.py): z and r from x and h, then
# h̃ = tanh(x W_h + b_h + (r ⊙ h) U_h) and h = z ⊙ h + (1 − z) ⊙ h̃ — reset_after=False's maths.
rng = np.random.default_rng(1202)
N, T, D, M, KD = 5, 6, 3, 4, 2
G = {g: (rng.uniform(-0.8, 0.8, (D, M)).astype(np.float32), rng.uniform(-0.8, 0.8, (M, M)).astype(np.float32),
         rng.uniform(-0.3, 0.3, M).astype(np.float32)) for g in 'zrh'}
Wo, bo = rng.uniform(-1, 1, (M, KD)).astype(np.float32), rng.uniform(-0.2, 0.2, KD).astype(np.float32)
X = rng.normal(size=(N, T, D))
gru_config = {'class_name': 'Sequential', 'config': [
    {'class_name': 'GRU', 'config': {'name': 'gru_1', 'output_dim': M, 'activation': 'tanh', 'inner_activation': 'hard_sigmoid',
                                     'return_sequences': False, 'go_backwards': False, 'stateful': False, 'unroll': False,
                                     'consume_less': 'cpu', 'input_dim': D, 'input_length': None,
                                     'batch_input_shape': [None, T, D], 'trainable': True}},
    {'class_name': 'Dense', 'config': {'name': 'dense_1', 'output_dim': KD, 'activation': 'linear', 'input_dim': M,
                                       'bias': True, 'trainable': True}}]}
with h5py.File(os.path.join(out, 'keras1_gru.h5'), 'w') as h:
    h.attrs['keras_version'] = np.bytes_('1.2.2')
    h.attrs['model_config'] = np.bytes_(json.dumps(gru_config))
    weights = h.create_group('model_weights')
    weights.attrs['layer_names'] = [b'gru_1', b'dense_1']
    g = weights.create_group('gru_1')
    names = []
    for gate in 'zrh':
        for m, a in zip('WUb', G[gate]):
            names.append(f'gru_1_{m}_{gate}:0')
            g[names[-1]] = a
    g.attrs['weight_names'] = [n.encode() for n in names]
    d = weights.create_group('dense_1')
    d['dense_1_W:0'], d['dense_1_b:0'] = Wo, bo
    d.attrs['weight_names'] = [b'dense_1_W:0', b'dense_1_b:0']
hs = lambda v: np.clip(0.2 * v + 0.5, 0, 1)
W64 = {g: [np.asarray(a, np.float64) for a in G[g]] for g in 'zrh'}
h = np.zeros((N, M))
for t in range(T):
    x = X[:, t]
    z = hs(x @ W64['z'][0] + W64['z'][2] + h @ W64['z'][1])
    r = hs(x @ W64['r'][0] + W64['r'][2] + h @ W64['r'][1])
    hh = np.tanh(x @ W64['h'][0] + W64['h'][2] + (r * h) @ W64['h'][1])
    h = z * h + (1 - z) * hh
np.save(os.path.join(out, 'keras1_gru.h5_X.npy'), X)
references['keras1_gru.h5'] = {'X': os.path.join(out, 'keras1_gru.h5_X.npy'), 'exact': True, 'activations': h.tolist(),
                               'predictions': (h @ Wo.astype(np.float64) + bo.astype(np.float64)).tolist()}
dump['keras1_gru.h5'] = {'gru_1': {role: np.concatenate([W64[g][i] for g in 'zrh'], axis=-1).tolist()
                                   for i, role in enumerate(['kernel', 'recurrent_kernel', 'bias'])},
                         'dense_1': {'kernel': values(Wo, 'kernel'), 'bias': values(bo, 'bias')}}
json.dump(references, open(os.path.join(out, 'references.json'), 'w'))

)PY" // two literals: a compiler may limit one to 16 KiB
                                  R"PY(
# Variants of a Keras 2.6 model: SimpleRNN(4) on (1, 7) -> Dense(1).
base = os.path.join(K, 'keras2_covid_simple_rnn_dense.h5')
CELL = 'model_weights/simple_rnn/simple_rnn/simple_rnn_cell/'

def variant(name, edit, source=base):
    path = os.path.join(out, name)
    shutil.copy(source, path)
    with h5py.File(path, 'r+') as h:
        edit(h)

def replace(h, path, make):
    data = h[path][()]
    del h[path]
    h[path] = make(data)

def layer_configs(c):
    return c['config'] if isinstance(c['config'], list) else c['config']['layers']

def configure(h, change, first=1):
    c = json.loads(h.attrs['model_config'])
    layers = layer_configs(c)
    change(layers[first]['config'], layers[first + 1]['config'])
    h.attrs['model_config'] = json.dumps(c)

def to_float64(h):
    for p in ['kernel:0', 'recurrent_kernel:0', 'bias:0']:
        replace(h, CELL + p, lambda d: d.astype(np.float64))
    for p in ['kernel:0', 'bias:0']:
        replace(h, 'model_weights/dense/dense/' + p, lambda d: d.astype(np.float64))

def without_weight(h, group, path):
    del h[path]
    g = h[group]
    g.attrs['weight_names'] = [n for n in g.attrs['weight_names'] if not path.endswith(n if isinstance(n, str) else n.decode())]

def without_bias(h):
    without_weight(h, 'model_weights/simple_rnn', CELL + 'bias:0')
    configure(h, lambda rnn, dense: rnn.update(use_bias=False))

def without_biases(h):
    without_bias(h)
    without_weight(h, 'model_weights/dense', 'model_weights/dense/dense/bias:0')
    configure(h, lambda rnn, dense: dense.update(use_bias=False))

def external_link(h):
    del h[CELL + 'kernel:0']
    h[CELL + 'kernel:0'] = h5py.ExternalLink('elsewhere.h5', '/kernel')

def split_names(h):
    g = h['model_weights']
    del g.attrs['layer_names']
    g.attrs['layer_names0'] = np.array([b'simple_rnn'])
    g.attrs['layer_names1'] = np.array([b'dense'])

variant('int_kernel.h5', lambda h: replace(h, CELL + 'kernel:0', lambda d: d.astype(np.int32)))
variant('float64.h5', to_float64)
variant('shape_mismatch.h5', lambda h: replace(h, CELL + 'recurrent_kernel:0', lambda d: np.zeros((4, 5), np.float32)))
variant('bias_mismatch.h5', lambda h: replace(h, 'model_weights/dense/dense/bias:0', lambda d: np.zeros(2, np.float32)))
variant('missing_kernel.h5', lambda h: h.__delitem__(CELL + 'kernel:0'))
variant('external_link.h5', external_link)
variant('no_bias.h5', without_bias)
variant('no_biases.h5', without_biases)
variant('bad_json.h5', lambda h: h.attrs.__setitem__('model_config', '{"class_name": "Sequential", "config": '))
variant('go_backwards.h5', lambda h: configure(h, lambda rnn, dense: rnn.update(go_backwards=True)))
variant('relu_sigmoid.h5', lambda h: configure(h, lambda rnn, dense: (rnn.update(activation='relu', return_sequences=True),
                                                                     dense.update(activation='sigmoid'))))
variant('softplus_dense.h5', lambda h: configure(h, lambda rnn, dense: dense.update(activation='softplus')))
variant('units_mismatch.h5', lambda h: configure(h, lambda rnn, dense: rnn.update(units=5)))
variant('split_layer_names.h5', split_names)
variant('int_layer_names.h5', lambda h: h['model_weights'].attrs.__setitem__('layer_names', np.array([1, 2])))

# Variants of the Keras 3.9.2 GRU(50, reset_after=True) -> Dropout -> Dense(1); the GRU is layer 1
# of its config (after the InputLayer).
GRU_FILE = os.path.join(K, 'keras3_legacy_apple_gru.h5')
GRU = 'model_weights/gru/sequential_2/gru/gru_cell/'
gru = lambda change: lambda h: configure(h, lambda rnn, dropout: change(rnn))
variant('gru_reset_after_false.h5', gru(lambda rnn: rnn.update(reset_after=False)), GRU_FILE)
variant('gru_keras21_default.h5', lambda h: (h.attrs.__setitem__('keras_version', '2.1.3'),
                                             gru(lambda rnn: rnn.pop('reset_after'))(h)), GRU_FILE)
variant('gru_one_row_bias.h5', lambda h: (replace(h, GRU + 'bias', lambda b: b[0] + b[1]),
                                          gru(lambda rnn: rnn.update(reset_after=False))(h)), GRU_FILE)
variant('gru_no_bias.h5', lambda h: (without_weight(h, 'model_weights/gru', GRU + 'bias'),
                                     gru(lambda rnn: rnn.update(use_bias=False))(h)), GRU_FILE)
variant('gru_hard_sigmoid.h5', gru(lambda rnn: rnn.update(recurrent_activation='hard_sigmoid')), GRU_FILE)
variant('gru_softsign.h5', gru(lambda rnn: rnn.update(recurrent_activation='softsign')), GRU_FILE)
variant('gru_go_backwards.h5', gru(lambda rnn: rnn.update(go_backwards=True)), GRU_FILE)

# Variants of the Keras 2.0.6 LSTM(50) -> Dense(1), its config a plain list (the LSTM first).
LSTM_FILE = os.path.join(K, 'keras2_dl4j_lstm_model.h5')
lstm = lambda change: lambda h: configure(h, lambda rnn, dense: change(rnn), first=0)
variant('lstm_units_mismatch.h5', lstm(lambda rnn: rnn.update(units=40)), LSTM_FILE)
variant('lstm_default_recurrent_activation.h5', lstm(lambda rnn: rnn.pop('recurrent_activation')), LSTM_FILE)

# The Keras 1 LSTM with consume_less='gpu': the same weights fused in i, f, c, o order as _W, _U, _b.
def keras1_gpu(h):
    g = h['model_weights/lstm_1']
    fused = keras1_fused(g, 'lstm_1', 'ifco')
    for n in list(g):
        del g[n]
    for role, m in [('kernel', 'W'), ('recurrent_kernel', 'U'), ('bias', 'b')]:
        g[f'lstm_1_{m}:0'] = fused[role].astype(np.float32)
    g.attrs['weight_names'] = [b'lstm_1_W:0', b'lstm_1_U:0', b'lstm_1_b:0']
    configure(h, lambda rnn, dense: rnn.update(consume_less='gpu'), first=0)
variant('keras1_lstm_gpu.h5', keras1_gpu, os.path.join(K, 'keras1_dl4j_lstm_model.h5'))

# save_weights() files (no config: the class shows only in the shapes and names): the LSTM model's,
# and the Keras 2.1.3 Bidirectional(LSTM)'s.
def save_weights(source, name):
    with h5py.File(source, 'r') as s, h5py.File(os.path.join(out, name), 'w') as d:
        for k, v in s['model_weights'].attrs.items():
            d.attrs[k] = v
        for k in s['model_weights']:
            s.copy(s['model_weights'][k], d, k)
save_weights(LSTM_FILE, 'lstm_weights.h5')
save_weights(os.path.join(K, 'dl4j_keras2_bidirectional_lstm.h5'), 'bidirectional_weights.h5')
with zipfile.ZipFile(os.path.join(K, 'keras3_bidirectional_lstm.keras')) as z:
    open(os.path.join(out, 'bidirectional.weights.h5'), 'wb').write(z.read('model.weights.h5'))

# The covid model behind a 512-byte user block.
with h5py.File(base, 'r') as s, h5py.File(os.path.join(out, 'userblock.h5'), 'w', userblock_size=512) as d:
    for k, v in s.attrs.items():
        d.attrs[k] = v
    s.copy(s['model_weights'], d, 'model_weights')

# A Keras 3 .keras of Input (5, 3) -> LSTM 'encoder'(6, sequences) -> GRU 'middle'(5, sequences)
# -> LSTM 'decoder'(4, hard_sigmoid) -> Dropout 'drop' -> Dense 'head'(2), laid out as Keras 3's
# saving_lib writes it: weight groups named by class and a counter per class (layers/lstm,
# layers/gru, layers/lstm_1, layers/dropout, layers/dense), never by the config's names.
rng = np.random.default_rng(3003)
stack = {}
def cell_vars(name, group, d, m, g, two_rows=False):
    arrays = [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in [(d, g * m), (m, g * m), (2, g * m) if two_rows else (g * m,)]]
    stack[name] = (group, arrays)
cell_vars('encoder', 'lstm', 3, 6, 4)
cell_vars('middle', 'gru', 6, 5, 3, two_rows=True)
cell_vars('decoder', 'lstm_1', 5, 4, 4)
head = [rng.uniform(-1, 1, (4, 2)).astype(np.float32), rng.uniform(-0.1, 0.1, 2).astype(np.float32)]
def k3(class_name, config):
    return {'module': 'keras.layers', 'class_name': class_name, 'config': config, 'registered_name': None}
rnn_config = lambda name, units, sequences, **extra: dict(name=name, units=units, return_sequences=sequences, go_backwards=False,
                                                         stateful=False, activation='tanh', recurrent_activation='sigmoid',
                                                         use_bias=True, **extra)
config = {'module': 'keras', 'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
    k3('InputLayer', {'batch_shape': [None, 5, 3], 'dtype': 'float32', 'name': 'input_layer'}),
    k3('LSTM', rnn_config('encoder', 6, True)),
    k3('GRU', rnn_config('middle', 5, True, reset_after=True)),
    k3('LSTM', dict(rnn_config('decoder', 4, False), recurrent_activation='hard_sigmoid')),
    k3('Dropout', {'name': 'drop', 'rate': 0.5}),
    k3('Dense', {'name': 'head', 'units': 2, 'activation': 'linear', 'use_bias': True})]}}
weights = io.BytesIO()
with h5py.File(weights, 'w') as h:
    for name, (group, arrays) in stack.items():
        h.create_group(f'layers/{group}/vars')
        for i, a in enumerate(arrays):
            h[f'layers/{group}/cell/vars/{i}'] = a
    h.create_group('layers/dropout/vars')
    h['layers/dense/vars/0'], h['layers/dense/vars/1'] = head
    h.create_group('vars')
with zipfile.ZipFile(os.path.join(out, 'keras3_stack.keras'), 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.3.3'}))
    z.writestr('config.json', json.dumps(config))
    z.writestr('model.weights.h5', weights.getvalue())
open(os.path.join(out, 'keras3_stack.weights.h5'), 'wb').write(weights.getvalue())
as_dump = lambda arrays: {role: values(a, role) for role, a in zip(['kernel', 'recurrent_kernel', 'bias'], arrays)}
dump['keras3_stack.keras'] = {name: as_dump(arrays) for name, (group, arrays) in stack.items()}
dump['keras3_stack.keras']['head'] = {'kernel': values(head[0], 'kernel'), 'bias': values(head[1], 'bias')}
dump['keras3_stack.weights.h5'] = {group: as_dump(arrays) for name, (group, arrays) in stack.items()}
dump['keras3_stack.weights.h5']['dense'] = dump['keras3_stack.keras']['head']
json.dump(dump, open(os.path.join(out, 'weights.json'), 'w'))

# .keras archives built from the Tesla model's members.
with zipfile.ZipFile(os.path.join(K, 'keras3_tesla_simple_rnn.keras')) as z:
    members = {n: z.read(n) for n in z.namelist()}

def archive(name, replace, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(os.path.join(out, name), 'w', method) as z:
        for n, data in {**members, **replace}.items():
            if data is not None:
                z.writestr(n, data)

archive('deflated.keras', {}, zipfile.ZIP_DEFLATED)
archive('no_config.keras', {'config.json': None})
archive('bad_config.keras', {'config.json': b'{"class_name": '})
archive('text_weights.keras', {'model.weights.h5': b'these are not weights'})
archive('no_weights.keras', {'model.weights.h5': None})
shutil.copy(os.path.join(K, 'keras3_tesla_simple_rnn.keras'), os.path.join(out, 'keras_named.h5'))
open(os.path.join(out, 'text.h5'), 'w').write('these are not weights\n')
open(os.path.join(out, 'empty.keras'), 'w').close()

# The Keras 3 Bidirectional fixture, whose config stores its backward_layer, with that layer edited
# to compute another cell than the forward one.
def backward_variant(name, edit):
    with zipfile.ZipFile(os.path.join(K, 'keras3_bidirectional_lstm.keras')) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    config = json.loads(parts['config.json'])
    for layer in config['config']['layers']:
        if layer['class_name'] == 'Bidirectional':
            edit(layer['config']['backward_layer']['config'])
    parts['config.json'] = json.dumps(config).encode()
    with zipfile.ZipFile(os.path.join(out, name), 'w') as z:
        for n, data in parts.items():
            z.writestr(n, data)
backward_variant('backward_tanh.keras', lambda c: c.update(activation='tanh'))
backward_variant('backward_hard_sigmoid.keras', lambda c: c.update(recurrent_activation='hard_sigmoid'))
backward_variant('backward_same.keras', lambda c: c.update(name='backward_of_its_own'))
)PY";

const std::string kKeras = std::string(RNNSCOPE_SHARED_DIR) + "/fixtures/keras/";

const Json &expected()
{
    static const Json e = loadJson("fixtures/keras/expected.json");
    return e;
}

const Json &fixture(const std::string &file)
{
    for (const Json &f : expected().at("fixtures"))
        if (f.at("file") == file)
            return f;
    qFatal("no fixture %s in expected.json", file.c_str());
}

// The refusals expected.json asks for, by suggested_app_behavior; every other behaviour loads.
// load_network (a Bidirectional, or a whole stack of recurrent layers) is refused until rnnscope
// computes whole networks (a later issue): then these files load.
bool refused(const std::string &behavior)
{
    return behavior == "refuse_unsupported_layer" || behavior == "not_a_model" || behavior == "load_network";
}

// The recurrent layers a fixture's entry lists, in model order: "simple_rnn" entries (D, M, T,
// activation, dense …) and "rnn" entries (class, M, activations, reset_after …); a fixture lists
// each layer in one of them.
std::vector<const Json *> recurrentEntries(const Json &f)
{
    std::vector<const Json *> out;
    for (const char *key : {"simple_rnn", "rnn"})
        if (f.contains(key))
            for (const Json &r : f.at(key))
                out.push_back(&r);
    return out;
}

const Json &recurrentEntry(const Json &f, const std::string &layer)
{
    for (const Json *r : recurrentEntries(f))
        if (r->at("layer") == layer)
            return *r;
    qFatal("no recurrent layer %s in expected.json", layer.c_str());
}

// The activation a fixture's config names, as rnnscope computes it: hard_sigmoid is Keras 1 and
// 2's clip(0.2x + 0.5, 0, 1) in files their versions wrote, Keras 3's clip(x/6 + 0.5, 0, 1) else.
std::optional<Activation> activationOf(const std::string &name, const Json &f)
{
    if (name == "hard_sigmoid")
        return f.at("keras_version").get<std::string>().rfind("3.", 0) == 0 ? Activation::HardSigmoid
                                                                             : Activation::HardSigmoidKeras2;
    return parseActivation(name);
}

// The input shape the config gives the recurrent layer `layer` (its own batch_input_shape, or
// the InputLayer's right before it), as expected.json's "layers" list records it; null if none.
Json configInputShape(const Json &f, const std::string &layer)
{
    bool first = true;
    Json inputLayer;
    for (const Json &l : f.value("layers", Json::array())) {
        if (l.at("name") == layer) {
            if (l.contains("batch_input_shape"))
                return l.at("batch_input_shape");
            return first ? inputLayer : Json();
        }
        if (l.value("class_name", "") == "InputLayer")
            inputLayer = l.value("batch_input_shape", Json());
        else
            first = false;
    }
    return Json();
}

// The number of gate blocks of a layer class: SimpleRNN 1, LSTM 4, GRU 3.
int gatesOf(const std::string &className)
{
    return className == "LSTM" ? 4 : className == "GRU" ? 3 : 1;
}

// Keras's "Total params" in model.summary() of the LSTM and GRU fixtures.
const std::map<std::string, long long> kKerasTotals = {
    {"keras2_dl4j_lstm_model.h5", 10451}, // LSTM(50) on D=1 → Dense(1): 4·50·(1+50+1) + 50 + 1
    {"keras1_dl4j_lstm_model.h5", 10451}, // the same model saved by Keras 1.2.2
    {"keras3_legacy_apple_gru.h5", 9351}, // GRU(50, reset_after) on D=10 → Dense(1): 3·50·(10+50+2) + 51
};

// The parameters of the loaded weights counted as Keras does: g·M·(D + M + bias rows) + M·K + K.
long long parameters(const Weights &w)
{
    const long long g = w.gates(), M = w.M(), D = w.D(), K = w.K();
    return g * M * (D + M + w.biasRows()) + M * K + K;
}

bool mentions(const std::vector<std::string> &notes, const std::string &text)
{
    return std::any_of(notes.begin(), notes.end(), [&](const std::string &n) { return n.find(text) != std::string::npos; });
}

std::string allNotes(const LoadedModel &m)
{
    std::string s;
    for (const std::string &n : m.notes)
        s += n + " | ";
    return s;
}

std::vector<std::uint8_t> fileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string &path, const std::uint8_t *data, std::size_t size)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
}

bool sameWeights(const Weights &a, const Weights &b)
{
    return maxDifference(a.Wx, b.Wx) == 0 && maxDifference(a.Wh, b.Wh) == 0 && maxDifference(a.bh, b.bh) == 0 &&
           maxDifference(a.Wo, b.Wo) == 0 && maxDifference(a.bo, b.bo) == 0;
}

bool sameNetworkWeights(const NetworkWeights &a, const NetworkWeights &b)
{
    if (a.layers.size() != b.layers.size() || maxDifference(a.Wo, b.Wo) != 0 || maxDifference(a.bo, b.bo) != 0)
        return false;
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        if (a.layers[l].size() != b.layers[l].size())
            return false;
        for (std::size_t d = 0; d < a.layers[l].size(); ++d)
            if (!sameWeights(a.layers[l][d], b.layers[l][d]))
                return false;
    }
    return true;
}

// A refusal of `kind`, in one line that names each of `mentions`.
void verifyRefusal(const std::optional<Error> &error, const QString &kind, const std::vector<std::string> &mentions)
{
    QCOMPARE(kindOf(error), kind);
    const std::string message = error->what();
    qDebug("%s", message.c_str());
    QVERIFY(oneLine(*error));
    for (const std::string &m : mentions)
        QVERIFY2(message.find(m) != std::string::npos, (m + " is not in: " + message).c_str());
}

// The Dense that rnnscope pairs with recurrent layer `layer` of fixture `f` ("" for none): the
// entry's "dense" where expected.json gives it; else the Dense after the layer in the config
// (Dropout may stand between them); else — files without a config, and the Keras 1 LSTM, whose
// entry records no layers — by this table (by the layer order, or by the shapes).
std::string denseAfter(const Json &f, const std::string &layer)
{
    const Json &entry = recurrentEntry(f, layer);
    if (entry.contains("dense"))
        return entry.at("dense").is_null() ? std::string() : entry.at("dense").at("layer").get<std::string>();
    if (f.contains("layers") && f.contains("model_class")) {
        const Json &layers = f.at("layers");
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (layers.at(i).at("name") != layer)
                continue;
            while (++i < layers.size() && layers.at(i).value("class_name", "") == "Dropout") {
            }
            return i < layers.size() && layers.at(i).value("class_name", "") == "Dense"
                       ? layers.at(i).at("name").get<std::string>()
                       : std::string();
        }
    }
    static const std::map<std::pair<std::string, std::string>, std::string> table = {
        {{"keras2_dl4j_simple_rnn_weights.h5", "simple_rnn_1"}, "dense_1"},
        {{"keras3_stacked_simple_rnn.weights.h5", "simple_rnn"}, ""},
        {{"keras3_stacked_simple_rnn.weights.h5", "simple_rnn_1"}, "dense"},
        {{"keras1_dl4j_lstm_model.h5", "lstm_1"}, "dense_1"},
    };
    const auto it = table.find({f.at("file").get<std::string>(), layer});
    if (it == table.end())
        qFatal("no expected Dense for %s / %s", f.at("file").get<std::string>().c_str(), layer.c_str());
    return it->second;
}

} // namespace

class TestKerasFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void fixtures_data();
    void fixtures();
    void everyRecurrentLayer_data();
    void everyRecurrentLayer();
    void badLayerChoice_data();
    void badLayerChoice();
    void sameWeightsInEveryFormat();
    void networksOpenWhole();
    void keras1Gates();
    void keras3GroupsByClass();
    void kerasReference_data();
    void kerasReference();
    void buildModelTakesTheConfig();
    void editedFiles_data();
    void editedFiles();
    void editedFilesThatLoad();
    void truncatedFiles_data();
    void truncatedFiles();
    void bitFlippedFiles_data();
    void bitFlippedFiles();

private:
    std::string temp(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)).toStdString(); }
    // The recurrent layer `layer` of `file` (and its Dense) against the values h5py read.
    void compareWithDump(const LoadedModel &m, const std::string &file, const std::string &layer, const std::string &dense);

    QTemporaryDir m_dir;
    Json m_dump;
    Json m_references;
};

void TestKerasFile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QProcess python;
    python.start(QStringLiteral(RNNSCOPE_PYTHON),
                 {QStringLiteral("-c"), QString::fromUtf8(kPythonHelper), QStringLiteral(RNNSCOPE_SHARED_DIR), m_dir.path()});
    QVERIFY2(python.waitForFinished(120000), "the h5py helper did not finish");
    QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0, python.readAllStandardError().constData());
    std::ifstream dump(temp("weights.json"));
    m_dump = Json::parse(dump);
    std::ifstream references(temp("references.json"));
    m_references = Json::parse(references);
}

void TestKerasFile::compareWithDump(const LoadedModel &m, const std::string &file, const std::string &layer,
                                    const std::string &dense)
{
    const Json &w = m_dump.at(file).at(layer);
    QCOMPARE(maxDifference(m.weights.Wx, matrixOf(w.at("kernel"))), 0.0);
    QCOMPARE(maxDifference(m.weights.Wh, matrixOf(w.at("recurrent_kernel"))), 0.0);
    QCOMPARE(maxDifference(m.weights.bh, vectorOf(w.at("bias"))), 0.0);
    if (dense.empty()) {
        QVERIFY(!m.weights.hasDense());
        QVERIFY(m.denseLayerName.empty());
        return;
    }
    const Json &d = m_dump.at(file).at(dense);
    QCOMPARE(m.denseLayerName, dense);
    QCOMPARE(maxDifference(m.weights.Wo, matrixOf(d.at("kernel"))), 0.0);
    QCOMPARE(maxDifference(m.weights.bo, vectorOf(d.at("bias"))), 0.0);
}

// ---- the real fixtures, as expected.json describes them ------------------------------------------

void TestKerasFile::fixtures_data()
{
    QTest::addColumn<QString>("file");
    for (const Json &f : expected().at("fixtures"))
        QTest::newRow(f.at("file").get<std::string>().c_str()) << QString::fromStdString(f.at("file").get<std::string>());
}

// Opened without --layer: the first recurrent layer, what expected.json says about it (its
// class, gates, activations — hard_sigmoid as the file's Keras version defines it —, reset_after,
// return_sequences, D and T where recorded), Keras's parameter total, and a note for every layer
// left out; or refused as expected.json asks.
void TestKerasFile::fixtures()
{
    QFETCH(QString, file);
    const Json &f = fixture(file.toStdString());
    const std::string path = kKeras + file.toStdString();
    LoadedModel m;
    const auto error = errorOf([&] { m = loadWeightsFile(path); });
    const std::string behavior = f.at("suggested_app_behavior").get<std::string>();
    if (refused(behavior)) {
        QVERIFY2(error, "loaded a file expected.json says to refuse");
        QVERIFY(std::string(error->what()).rfind(path, 0) == 0);
        std::vector<std::string> mentions;
        if (behavior == "not_a_model")
            mentions = {"not a Keras model"};
        else if (behavior == "refuse_unsupported_layer")
            mentions = {"rnnscope computes SimpleRNN, LSTM and GRU layers"};
        // load_network, until rnnscope computes whole networks: the wrapper, its layer's class and
        // its name, e.g. "holds a Bidirectional(LSTM) layer 'bidirectional_1'".
        for (const Json *r : recurrentEntries(f))
            if (r->value("class", "").rfind("Bidirectional", 0) == 0)
                mentions.insert(mentions.end(), {r->at("class").get<std::string>(), "'" + r->at("layer").get<std::string>() + "'",
                                                 "does not compute Bidirectional layers"});
        QVERIFY(!mentions.empty());
        verifyRefusal(error, QStringLiteral("unsupported"), mentions);
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    const std::vector<const Json *> entries = recurrentEntries(f);
    QVERIFY(!entries.empty());
    const Json &rnn = *entries.front();
    const std::string layer = rnn.at("layer").get<std::string>();
    QCOMPARE(m.layerName, layer);
    QCOMPARE(m.weights.M(), rnn.at("M").get<int>());
    const std::string className = rnn.value("class", "SimpleRNN");
    QCOMPARE(m.weights.gates(), gatesOf(className));
    std::vector<std::string> names;
    for (const Json *r : entries)
        names.push_back(r->at("layer").get<std::string>());
    QCOMPARE(m.recurrentLayers, names);
    QVERIFY(!m.layoutDescription.empty());
    qDebug("%s: %s | %s", file.toUtf8().constData(), m.layoutDescription.c_str(), allNotes(m).c_str());

    // D and T: the entry's, else the config's input shape where expected.json records it.
    const Json shape = configInputShape(f, layer);
    if (rnn.contains("D"))
        QCOMPARE(m.weights.D(), rnn.at("D").get<int>());
    else if (shape.is_array())
        QCOMPARE(m.weights.D(), shape.at(2).get<int>());
    if (rnn.contains("T"))
        QCOMPARE(m.T, rnn.at("T").is_null() ? std::optional<int>() : std::optional<int>(rnn.at("T").get<int>()));
    else if (shape.is_array())
        QCOMPARE(m.T, shape.at(1).is_null() ? std::optional<int>() : std::optional<int>(shape.at(1).get<int>()));

    // The configuration, where the file has one.
    if (rnn.contains("activation"))
        QCOMPARE(m.cell, activationOf(rnn.at("activation").get<std::string>(), f));
    else
        QCOMPARE(m.cell, std::optional<Activation>());
    if (rnn.contains("recurrent_activation"))
        QCOMPARE(m.recurrent, activationOf(rnn.at("recurrent_activation").get<std::string>(), f));
    else
        QCOMPARE(m.recurrent, std::optional<Activation>());
    if (className == "GRU")
        QCOMPARE(m.weights.resetAfter(), rnn.at("reset_after").get<bool>());
    if (rnn.contains("return_sequences"))
        QCOMPARE(m.returnSequences, std::optional<bool>(rnn.at("return_sequences").get<bool>()));
    else
        QCOMPARE(m.returnSequences, std::optional<bool>());
    if (const auto total = kKerasTotals.find(file.toStdString()); total != kKerasTotals.end())
        QCOMPARE(parameters(m.weights), total->second);
    checkShapes(m.weights);

    // Every layer of the model that is not shown is named in a note.
    if (f.contains("layers") && f.contains("model_class")) {
        for (const Json &l : f.at("layers")) {
            const std::string name = l.at("name").get<std::string>();
            if (l.value("class_name", "") == "InputLayer" || name == m.layerName || name == m.denseLayerName)
                continue;
            QVERIFY2(mentions(m.notes, "'" + name + "'"), (name + " is not in the notes: " + allNotes(m)).c_str());
        }
    }
    if (behavior == "load_with_embedding")
        QVERIFY2(mentions(m.notes, "(Embedding)"), allNotes(m).c_str());
    if (names.size() > 1)
        QVERIFY2(mentions(m.notes, "--layer"), allNotes(m).c_str());
}

void TestKerasFile::everyRecurrentLayer_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("layer");
    for (const Json &f : expected().at("fixtures")) {
        if (refused(f.at("suggested_app_behavior").get<std::string>()))
            continue;
        for (const Json *r : recurrentEntries(f)) {
            const std::string file = f.at("file").get<std::string>(), layer = r->at("layer").get<std::string>();
            QTest::newRow((file + " " + layer).c_str()) << QString::fromStdString(file) << QString::fromStdString(layer);
        }
    }
}

// Each recurrent layer chosen with --layer: shapes, configuration and values as h5py reads them
// (a Keras 1 LSTM's per-gate arrays joined in Keras 2's gate order by the h5py side too).
void TestKerasFile::everyRecurrentLayer()
{
    QFETCH(QString, file);
    QFETCH(QString, layer);
    const Json &f = fixture(file.toStdString());
    const Json &entry = recurrentEntry(f, layer.toStdString());
    const LoadedModel m = loadWeightsFile(kKeras + file.toStdString(), layer.toStdString());
    QCOMPARE(m.layerName, layer.toStdString());
    if (entry.contains("D"))
        QCOMPARE(m.weights.D(), entry.at("D").get<int>());
    QCOMPARE(m.weights.M(), entry.at("M").get<int>());
    QCOMPARE(m.weights.gates(), gatesOf(entry.value("class", "SimpleRNN")));
    QCOMPARE(m.dtype, DType::Float32);
    if (entry.contains("T") && !entry.at("T").is_null())
        QCOMPARE(m.T, std::optional<int>(entry.at("T").get<int>()));
    if (entry.contains("activation"))
        QCOMPARE(m.cell, activationOf(entry.at("activation").get<std::string>(), f));
    if (entry.contains("recurrent_activation"))
        QCOMPARE(m.recurrent, activationOf(entry.at("recurrent_activation").get<std::string>(), f));
    if (entry.contains("return_sequences"))
        QCOMPARE(m.returnSequences, std::optional<bool>(entry.at("return_sequences").get<bool>()));

    const std::string dense = denseAfter(f, layer.toStdString());
    const std::string format = f.at("format").get<std::string>();
    if (format == "keras2_weights_h5" || format == "keras3_weights_h5") {
        QCOMPARE(m.dense, std::optional<Activation>()); // save_weights(), no config: not recorded
    } else if (entry.contains("dense") && !entry.at("dense").is_null()) {
        const Json &d = entry.at("dense");
        QCOMPARE(m.weights.K(), d.at("K").get<int>());
        // A Softmax layer right after the Dense is folded into its activation.
        std::string activation = d.at("activation").get<std::string>();
        const Json &layers = f.at("layers");
        for (std::size_t i = 0; i + 1 < layers.size(); ++i)
            if (layers.at(i).at("name") == dense && layers.at(i + 1).value("class_name", "") == "Softmax")
                activation = "softmax";
        QCOMPARE(m.dense, parseActivation(activation));
    }
    compareWithDump(m, file.toStdString(), layer.toStdString(), dense);
    checkShapes(m.weights);
}

void TestKerasFile::badLayerChoice_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("layer");
    QTest::addColumn<QString>("mention");
    for (const char *file : {"keras3_legacy_temperature_stacked_simple_rnn.h5", "keras3_temperature_stacked_simple_rnn.keras",
                             "keras3_stacked_simple_rnn.weights.h5"}) {
        QTest::newRow((std::string(file) + " unknown").c_str()) << file << "simple_rnn_7"
                                                                << "names no layer";
        QTest::newRow((std::string(file) + " dense").c_str()) << file << "dense"
                                                              << "Dense layer, not a recurrent layer";
    }
    QTest::newRow("single SimpleRNN") << "keras2_covid_simple_rnn_dense.h5"
                                      << "simple_rnn_1"
                                      << "names no layer";
    QTest::newRow("dropout") << "keras3_tesla_simple_rnn.keras"
                             << "dropout"
                             << "Dropout layer";
    QTest::newRow("LSTM file, dense") << "keras2_dl4j_lstm_model.h5"
                                      << "dense_1"
                                      << "Dense layer, not a recurrent layer";
    QTest::newRow("GRU file, unknown") << "keras3_legacy_apple_gru.h5"
                                       << "lstm"
                                       << "its recurrent layer is";
}

// A --layer that names no recurrent layer is refused, listing the recurrent layers there are.
void TestKerasFile::badLayerChoice()
{
    QFETCH(QString, file);
    QFETCH(QString, layer);
    QFETCH(QString, mention);
    std::vector<std::string> mentions = {"'" + layer.toStdString() + "'", mention.toStdString()};
    for (const Json *r : recurrentEntries(fixture(file.toStdString())))
        mentions.push_back("'" + r->at("layer").get<std::string>() + "'");
    verifyRefusal(errorOf([&] { loadWeightsFile(kKeras + file.toStdString(), layer.toStdString()); }),
                  QStringLiteral("bad_usage"), mentions);
}

// The same weights saved in different ways read the same; what the reader's child process sends
// back (loadWeightsFile) equals what parseKerasFile reads in this process.
// The files that hold several recurrent layers or a Bidirectional one open whole
// (loadKerasNetwork): every layer in model order with its config, its weights as --layer opens
// each alone, the Dense after the top one; the child's reply carries all of it; a file of one plain
// layer is not a network (nullopt: the one-layer path opens it).
void TestKerasFile::networksOpenWhole()
{
    const std::vector<std::string> names = {"simple_rnn", "simple_rnn_1"};
    const auto legacy = loadKerasNetwork(kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5");
    const auto zip = loadKerasNetwork(kKeras + "keras3_temperature_stacked_simple_rnn.keras");
    const auto weightsOnly = loadKerasNetwork(kKeras + "keras3_stacked_simple_rnn.weights.h5");
    QVERIFY(legacy && zip && weightsOnly);
    QVERIFY(sameNetworkWeights(legacy->weights, zip->weights));
    QCOMPARE(legacy->layers, zip->layers);
    QCOMPARE(legacy->layerNames, names);
    QCOMPARE(legacy->denseLayerName, std::string("dense"));
    QCOMPARE(legacy->T, std::optional<int>(14));
    QVERIFY(legacy->configured && !weightsOnly->configured);
    QCOMPARE(stackText(legacy->layers), std::string("simplernn 64 seq act=relu, simplernn 32 act=relu"));
    QCOMPARE(stackText(weightsOnly->layers), std::string("simplernn 50 seq, simplernn 50"));
    for (std::size_t l = 0; l < names.size(); ++l) {
        const LoadedModel one = loadWeightsFile(kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5", names[l]);
        Weights layer = one.weights;
        layer.Wo = Eigen::MatrixXd(layer.M(), 0);
        layer.bo = Eigen::VectorXd(0);
        const Weights &got = legacy->weights.layers[l][0];
        QVERIFY(sameWeights(layer, got));
    }
    QVERIFY(maxDifference(legacy->weights.Wo,
                          loadWeightsFile(kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5", "simple_rnn_1").weights.Wo) == 0);
    QVERIFY2(mentions(legacy->notes, "'dropout' (Dropout)"), "the Dropout is named");

    // Bidirectional: Keras 2's forward_lstm_1 / backward_lstm_1 and Keras 3's forward_layer /
    // backward_layer, each half the weights of its direction; without config (save_weights) the same.
    const auto k2 = loadKerasNetwork(kKeras + "dl4j_keras2_bidirectional_lstm.h5");
    QVERIFY(k2);
    QCOMPARE(k2->layers.size(), std::size_t(1));
    QVERIFY(k2->layers[0].bidirectional && k2->layers[0].returnSequences && k2->layers[0].merge == Merge::Concat);
    QCOMPARE(k2->layers[0].cell.recurrent, Activation::HardSigmoidKeras2);
    QCOMPARE(k2->K(), 0);
    QVERIFY(maxDifference(k2->weights.layers[0][0].Wx, k2->weights.layers[0][1].Wx) > 0);
    const auto k2weights = loadKerasNetwork(temp("bidirectional_weights.h5"));
    QVERIFY(k2weights && sameNetworkWeights(k2->weights, k2weights->weights));
    const auto k3 = loadKerasNetwork(kKeras + "keras3_bidirectional_lstm.keras");
    QVERIFY(k3);
    QCOMPARE(stackText(k3->layers), std::string("bi lstm 64 act=relu"));
    QCOMPARE(k3->denseLayerName, std::string("dense_1")); // its weights in layers/dense: paired by class and counter
    QCOMPARE(k3->K(), 5);
    const auto k3weights = loadKerasNetwork(temp("bidirectional.weights.h5"));
    QVERIFY(k3weights && sameNetworkWeights(k3->weights, k3weights->weights));
    // Keras 3 stores the backward layer's own config (backward_layer): read, not the forward one's
    // taken for it; one that computes another cell is refused (a layer has one cell for both).
    const auto same = loadKerasNetwork(temp("backward_same.keras"));
    QVERIFY(same && sameNetworkWeights(k3->weights, same->weights) && same->layers == k3->layers);
    verifyRefusal(errorOf([&] { loadKerasNetwork(temp("backward_tanh.keras")); }), QStringLiteral("unsupported"),
                  {"'bidirectional'", "backward layer", "activation=tanh", "activation=relu"});
    verifyRefusal(errorOf([&] { loadKerasNetwork(temp("backward_hard_sigmoid.keras")); }), QStringLiteral("unsupported"),
                  {"'bidirectional'", "backward layer", "recurrent_activation=hard_sigmoid", "recurrent_activation=sigmoid"});

    // The child's reply is what parseKerasNetwork reads in this process.
    for (const char *file : {"keras3_legacy_temperature_stacked_simple_rnn.h5", "dl4j_keras2_bidirectional_lstm.h5",
                             "keras3_bidirectional_lstm.keras", "keras3_stacked_simple_rnn.weights.h5"}) {
        const auto child = loadKerasNetwork(kKeras + file);
        const std::vector<std::uint8_t> bytes = fileBytes(kKeras + file);
        const auto inMemory = parseKerasNetwork(bytes.data(), bytes.size(), kKeras + file);
        QVERIFY(child && inMemory);
        QVERIFY(sameNetworkWeights(child->weights, inMemory->weights));
        QCOMPARE(child->layers, inMemory->layers);
        QCOMPARE(child->notes, inMemory->notes);
        QCOMPARE(child->layoutDescription, inMemory->layoutDescription);
        QCOMPARE(child->layerNames, inMemory->layerNames);
        QCOMPARE(child->denseLayerName, inMemory->denseLayerName);
        QCOMPARE(child->dense, inMemory->dense);
        QCOMPARE(child->T, inMemory->T);
        QCOMPARE(child->configured, inMemory->configured);
        QCOMPARE(child->dtype, inMemory->dtype);
    }
    // One plain layer is not a network; a file that is not a Keras model is refused as before.
    for (const char *file : {"keras3_tesla_simple_rnn.keras", "keras2_dl4j_lstm_model.h5", "keras1_dl4j_lstm_model.h5"})
        QVERIFY2(!loadKerasNetwork(kKeras + file), file);
    // An Embedding before the recurrent layer makes it one: its table (V, D) comes with it.
    const auto embedded = loadKerasNetwork(kKeras + "keras2_embedding_simple_rnn_dense.h5");
    QVERIFY(embedded);
    QCOMPARE(embedded->vocabulary(), 3);
    QCOMPARE(embedded->weights.embedding.cols(), 5);
    QCOMPARE(embedded->embeddingName, std::string("embedding"));
    QCOMPARE(embedded->layers.size(), std::size_t(1));
    QCOMPARE(kindOf(errorOf([&] { loadKerasNetwork(kKeras + "keras2_dl4j_simple_rnn_inputs_and_outputs.h5"); })),
             QStringLiteral("unsupported"));
}

void TestKerasFile::sameWeightsInEveryFormat()
{
    const LoadedModel model = loadWeightsFile(kKeras + "keras2_dl4j_simple_rnn_model.h5");
    const LoadedModel weights = loadWeightsFile(kKeras + "keras2_dl4j_simple_rnn_weights.h5");
    QVERIFY(sameWeights(model.weights, weights.weights));
    for (const char *layer : {"simple_rnn", "simple_rnn_1"}) {
        const LoadedModel legacy = loadWeightsFile(kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5", layer);
        const LoadedModel zip = loadWeightsFile(kKeras + "keras3_temperature_stacked_simple_rnn.keras", layer);
        QVERIFY(sameWeights(legacy.weights, zip.weights));
        QCOMPARE(legacy.cell, zip.cell);
        QCOMPARE(legacy.returnSequences, zip.returnSequences);
    }
    // An LSTM's save_weights() file (no config) reads as the LSTM of the full model file.
    const LoadedModel lstm = loadWeightsFile(kKeras + "keras2_dl4j_lstm_model.h5");
    const LoadedModel lstmWeights = loadWeightsFile(temp("lstm_weights.h5"));
    QVERIFY(sameWeights(lstm.weights, lstmWeights.weights));
    QCOMPARE(lstmWeights.weights.kind(), CellKind::LSTM);
    // Not recorded: the default of the file's Keras version (Keras 2.0.6: hard_sigmoid), decided in
    // one place for one layer and for a network alike.
    QCOMPARE(lstmWeights.recurrent, std::optional<Activation>(Activation::HardSigmoidKeras2));
    QVERIFY2(mentions(lstmWeights.notes, "recurrent activation: taken as Keras 2.0's default, hard_sigmoid_keras2"),
             allNotes(lstmWeights).c_str());
    QCOMPARE(lstmWeights.recurrent, lstm.recurrent);
    ModelRequest fromWeights;
    fromWeights.weightsPath = temp("lstm_weights.h5");
    QCOMPARE(buildModel(fromWeights).config().recurrent, Activation::HardSigmoidKeras2);
    QCOMPARE(networkOf(lstmWeights).layers[0].cell.recurrent, Activation::HardSigmoidKeras2);
    const auto biWeights = loadKerasNetwork(temp("bidirectional_weights.h5"));
    QVERIFY(biWeights && !biWeights->configured);
    QCOMPARE(biWeights->layers[0].cell.recurrent, Activation::HardSigmoidKeras2);

    // The content decides, not the extension; parseKerasFile reads the same from memory, and the
    // child's reply carries all of it: a GRU's 2·3M bias values, its recurrent activation.
    const LoadedModel zip = loadWeightsFile(kKeras + "keras3_tesla_simple_rnn.keras");
    QVERIFY(sameWeights(zip.weights, loadWeightsFile(temp("keras_named.h5")).weights));
    QVERIFY(sameWeights(zip.weights, loadWeightsFile(temp("deflated.keras")).weights));
    for (const char *file : {"keras3_tesla_simple_rnn.keras", "keras3_legacy_apple_gru.h5", "keras1_dl4j_lstm_model.h5"}) {
        const LoadedModel child = loadWeightsFile(kKeras + file);
        const std::vector<std::uint8_t> bytes = fileBytes(kKeras + file);
        const LoadedModel inMemory = parseKerasFile(bytes.data(), bytes.size(), kKeras + file);
        QVERIFY(sameWeights(child.weights, inMemory.weights));
        QCOMPARE(child.weights.bh.size(), inMemory.weights.bh.size());
        QCOMPARE(child.cell, inMemory.cell);
        QCOMPARE(child.recurrent, inMemory.recurrent);
        QCOMPARE(child.dense, inMemory.dense);
        QCOMPARE(child.T, inMemory.T);
        QCOMPARE(child.notes, inMemory.notes);
        QCOMPARE(child.layoutDescription, inMemory.layoutDescription);
        QCOMPARE(child.recurrentLayers, inMemory.recurrentLayers);
    }
    const LoadedModel gru = loadWeightsFile(kKeras + "keras3_legacy_apple_gru.h5");
    QCOMPARE(gru.weights.bh.size(), 2 * 150);
    QCOMPARE(gru.recurrent, std::optional<Activation>(Activation::Sigmoid));
}

// Keras 1's per-gate arrays: an LSTM's 12 (i, c, f, o in the file) and a GRU's 9 (z, r, h) are
// joined in Keras 2's gate order; consume_less='gpu' files, fused already, read the same.
void TestKerasFile::keras1Gates()
{
    const LoadedModel split = loadWeightsFile(kKeras + "keras1_dl4j_lstm_model.h5");
    const LoadedModel fused = loadWeightsFile(temp("keras1_lstm_gpu.h5"));
    QVERIFY(sameWeights(split.weights, fused.weights));
    QCOMPARE(fused.recurrent, std::optional<Activation>(Activation::HardSigmoidKeras2));
    QVERIFY2(mentions(split.notes, "12 arrays") && mentions(split.notes, "in the gate order i, c, f, o") &&
                 mentions(split.notes, "Keras 2's gate order i, f, c, o"),
             allNotes(split).c_str());

    const LoadedModel gru = loadWeightsFile(temp("keras1_gru.h5"));
    QCOMPARE(gru.weights.kind(), CellKind::GRU);
    QVERIFY(!gru.weights.resetAfter()); // Keras 1's GRU is reset_after=False's
    QCOMPARE(gru.cell, std::optional<Activation>(Activation::Tanh));
    QCOMPARE(gru.recurrent, std::optional<Activation>(Activation::HardSigmoidKeras2)); // inner_activation
    QCOMPARE(gru.T, std::optional<int>(6));
    compareWithDump(gru, "keras1_gru.h5", "gru_1", "dense_1");
}

// Keras 3 names the weight groups of a .keras / .weights.h5 by class and a counter per class
// (lstm, gru, lstm_1, dense), whatever the config calls the layers ('encoder', 'middle',
// 'decoder', 'head'): the loader pairs them by walking the config, never by name.
void TestKerasFile::keras3GroupsByClass()
{
    const std::string keras = temp("keras3_stack.keras");
    const LoadedModel first = loadWeightsFile(keras);
    QCOMPARE(first.recurrentLayers, (std::vector<std::string>{"encoder", "middle", "decoder"}));
    QCOMPARE(first.weights.kind(), CellKind::LSTM);
    QCOMPARE(first.returnSequences, std::optional<bool>(true));
    QCOMPARE(first.T, std::optional<int>(5));
    QVERIFY2(mentions(first.notes, "--layer"), allNotes(first).c_str());
    compareWithDump(first, "keras3_stack.keras", "encoder", "");

    const LoadedModel middle = loadWeightsFile(keras, "middle");
    QCOMPARE(middle.weights.kind(), CellKind::GRU);
    QVERIFY(middle.weights.resetAfter());
    compareWithDump(middle, "keras3_stack.keras", "middle", "");

    const LoadedModel decoder = loadWeightsFile(keras, "decoder");
    QCOMPARE(decoder.recurrent, std::optional<Activation>(Activation::HardSigmoid)); // Keras 3's hard_sigmoid
    QCOMPARE(decoder.returnSequences, std::optional<bool>(false));
    QVERIFY2(mentions(decoder.notes, "'drop' (Dropout)"), allNotes(decoder).c_str());
    compareWithDump(decoder, "keras3_stack.keras", "decoder", "head");

    // The weights alone: no config, the classes told by the shapes, the order by the default names.
    const std::string weights = temp("keras3_stack.weights.h5");
    const LoadedModel alone = loadWeightsFile(weights, "lstm_1");
    QCOMPARE(alone.weights.kind(), CellKind::LSTM);
    QCOMPARE(alone.recurrent, std::optional<Activation>(Activation::Sigmoid)); // not recorded: Keras 3's default
    compareWithDump(alone, "keras3_stack.weights.h5", "lstm_1", "dense");
    const LoadedModel gru = loadWeightsFile(weights, "gru");
    QVERIFY(gru.weights.resetAfter()); // told by the bias (2, 15)
    compareWithDump(gru, "keras3_stack.weights.h5", "gru", "");
}

// ---- reference outputs: Keras's own predictions ---------------------------------------------------

void TestKerasFile::kerasReference_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<int>("N");
    QTest::addColumn<int>("T");
    QTest::addColumn<int>("D");
    QTest::addColumn<int>("M");
    for (const char *dtype : {"float32", "float64"}) {
        const std::string d = dtype;
        QTest::newRow(("Keras 2.1.3 SimpleRNN, " + d).c_str()) << "keras2_dl4j_simple_rnn_model.h5" << dtype << 25 << 1 << 1 << 50;
        QTest::newRow(("Keras 1.2.2 LSTM, " + d).c_str()) << "keras1_dl4j_lstm_model.h5" << dtype << 100 << 1 << 1 << 50;
        QTest::newRow(("Keras 2.0.6 LSTM, " + d).c_str()) << "keras2_dl4j_lstm_model.h5" << dtype << 100 << 1 << 1 << 50;
        QTest::newRow(("Keras 1.2.2 GRU written here, " + d).c_str()) << "keras1_gru.h5" << dtype << 5 << 6 << 3 << 4;
    }
}

// The model file with the X of its reference reproduces the predictions (and the last hidden
// state) Keras computed and stored beside it: to 1e-5 (Keras computed in float32), and to 1e-12
// in float64 where the reference is a float64 NumPy loop of Keras 1.2.2's GRU step. The Keras 2
// LSTM's reference holds inputs and training targets only (expected.json): there the model only
// has to run on its X.
void TestKerasFile::kerasReference()
{
    QFETCH(QString, file);
    QFETCH(QString, dtype);
    QFETCH(int, N);
    QFETCH(int, T);
    QFETCH(int, D);
    QFETCH(int, M);
    const Json &ref = m_references.at(file.toStdString());
    ModelRequest request;
    request.weightsPath = (file == QLatin1String("keras1_gru.h5") ? m_dir.filePath(file).toStdString() : kKeras + file.toStdString());
    request.inputPath = ref.at("X").get<std::string>();
    request.config.dtype = dtype == QLatin1String("float64") ? DType::Float64 : DType::Float32;
    Model model = buildModel(request);
    QCOMPARE(model.dims(), (Dims{N, T, D, M, file == QLatin1String("keras1_gru.h5") ? 2 : 1}));
    const NdArray y = model.prediction();
    QCOMPARE(y.shape, (std::vector<std::int64_t>{N, model.dims().K}));
    QVERIFY(std::all_of(y.values.begin(), y.values.end(), [](double v) { return std::isfinite(v); }));
    if (!ref.contains("predictions")) {
        qDebug("%s: no predictions stored beside the model (inputs and training targets only)", file.toUtf8().constData());
        return;
    }
    const double tolerance = ref.value("exact", false) && dtype == QLatin1String("float64") ? 1e-12 : 1e-5;
    const NdArray h = model.hiddenStates(); // (N, T, M)
    const Eigen::MatrixXd predictions = matrixOf(ref.at("predictions"));
    const Eigen::MatrixXd activations = matrixOf(ref.at("activations"));
    const int K = model.dims().K;
    double dy = 0, dh = 0;
    for (int n = 0; n < N; ++n) {
        for (int k = 0; k < K; ++k)
            dy = std::max(dy, std::abs(y.values[static_cast<std::size_t>(n * K + k)] - predictions(n, k)));
        for (int j = 0; j < M; ++j)
            dh = std::max(dh, std::abs(h.values[static_cast<std::size_t>((n * T + T - 1) * M + j)] - activations(n, j)));
    }
    qDebug("max |Y − predictions| = %.3g, max |h_T − activations| = %.3g", dy, dh);
    QVERIFY(dy < tolerance);
    QVERIFY(dh < tolerance);
}

// buildModel applies the file's T, cell, activations and return_sequences unless the user gave them.
void TestKerasFile::buildModelTakesTheConfig()
{
    ModelRequest r;
    r.weightsPath = kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5";
    LoadedModel file;
    Model m = buildModel(r, &file);
    QCOMPARE(m.dims(), (Dims{1, 14, 6, 64, 0}));
    QCOMPARE(m.config().cell, Activation::Relu);
    QVERIFY(m.config().returnSequences);
    QCOMPARE(file.layerName, std::string("simple_rnn"));

    r.layer = "simple_rnn_1";
    r.dims = Dims{2, 5, 64, 32, 1}; // T from --dims: the file's does not count
    r.cell = Activation::Tanh;
    m = buildModel(r, &file);
    QCOMPARE(m.dims(), (Dims{2, 5, 64, 32, 1}));
    QCOMPARE(m.config().cell, Activation::Tanh);
    QVERIFY(!m.config().returnSequences);
    QCOMPARE(m.config().dense, Activation::Linear);
    QVERIFY2(mentions(file.notes, "--activation tanh overrides the file's relu"), allNotes(file).c_str());

    ModelRequest s;
    s.weightsPath = kKeras + "keras2_embedding_simple_rnn_dense_softmax.h5";
    s.config.dense = Activation::Relu; // a default, not given: the file's softmax wins
    QCOMPARE(buildModel(s).config().dense, Activation::Softmax);
    s.dense = Activation::Sigmoid;
    QCOMPARE(buildModel(s).config().dense, Activation::Sigmoid);

    ModelRequest d;
    d.weightsPath = kKeras + "keras2_dl4j_simple_rnn_weights.h5"; // no config: the defaults stay
    d.config.cell = Activation::Sigmoid;
    const Model w = buildModel(d);
    QCOMPARE(w.config().cell, Activation::Sigmoid);
    QCOMPARE(w.dims().T, Dims{}.T);

    ModelRequest bad = r;
    bad.dims = Dims{1, 5, 64, 16, 1};
    QCOMPARE(kindOf(errorOf([&] { buildModel(bad); })), QStringLiteral("shape_mismatch"));

    // The cell and its recurrent activation come from the file; --recurrent-activation overrides.
    ModelRequest g;
    g.weightsPath = kKeras + "keras3_legacy_apple_gru.h5";
    const Model gru = buildModel(g);
    QCOMPARE(gru.config().kind, CellKind::GRU);
    QVERIFY(gru.config().resetAfter);
    QCOMPARE(gru.config().recurrent, Activation::Sigmoid);
    QCOMPARE(gru.dims(), (Dims{1, 60, 10, 50, 1}));
    ModelRequest l;
    l.weightsPath = kKeras + "keras2_dl4j_lstm_model.h5";
    QCOMPARE(buildModel(l).config().recurrent, Activation::HardSigmoidKeras2);
    l.recurrent = Activation::Sigmoid;
    const Model lstm = buildModel(l, &file);
    QCOMPARE(lstm.config().kind, CellKind::LSTM);
    QCOMPARE(lstm.config().recurrent, Activation::Sigmoid);
    QVERIFY2(mentions(file.notes, "--recurrent-activation sigmoid overrides the file's hard_sigmoid_keras2"), allNotes(file).c_str());
}

// ---- edited and damaged files -------------------------------------------------------------------

void TestKerasFile::editedFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mention");
    QTest::newRow("int kernel") << "int_kernel.h5"
                                << "unsupported_dtype"
                                << "int32";
    QTest::newRow("recurrent kernel (4, 5)") << "shape_mismatch.h5"
                                             << "shape_mismatch"
                                             << "(4, 5), but units=4 in the config needs (4, 4)";
    QTest::newRow("Dense bias (2,)") << "bias_mismatch.h5"
                                     << "shape_mismatch"
                                     << "(2,), but K=1 needs (1,)";
    QTest::newRow("units=5 in the config") << "units_mismatch.h5"
                                           << "shape_mismatch"
                                           << "units=5";
    QTest::newRow("missing kernel") << "missing_kernel.h5"
                                    << "missing_array"
                                    << "kernel:0";
    QTest::newRow("external link") << "external_link.h5"
                                   << "missing_array"
                                   << "kernel:0";
    QTest::newRow("model_config not JSON") << "bad_json.h5"
                                           << "malformed_header"
                                           << "model_config";
    QTest::newRow("layer_names of integers") << "int_layer_names.h5"
                                             << "malformed_header"
                                             << "int64";
    QTest::newRow("go_backwards") << "go_backwards.h5"
                                  << "unsupported"
                                  << "go_backwards";
    QTest::newRow("softplus Dense") << "softplus_dense.h5"
                                    << "unsupported"
                                    << "'softplus'";
    QTest::newRow("GRU bias (2, 150), reset_after=False") << "gru_reset_after_false.h5"
                                                          << "shape_mismatch"
                                                          << "(2, 150), but a GRU with units=50 in the config and "
                                                             "reset_after=False in the config needs (150,)";
    QTest::newRow("GRU bias (2, 150), Keras 2.1's default") << "gru_keras21_default.h5"
                                                            << "shape_mismatch"
                                                            << "the default of Keras 2.1";
    QTest::newRow("GRU softsign") << "gru_softsign.h5"
                                  << "unsupported"
                                  << "uses the recurrent_activation 'softsign'";
    QTest::newRow("GRU go_backwards") << "gru_go_backwards.h5"
                                      << "unsupported"
                                      << "GRU 'gru' has go_backwards=True";
    QTest::newRow("LSTM units=40") << "lstm_units_mismatch.h5"
                                   << "shape_mismatch"
                                   << "(50, 200), but an LSTM with units=40 in the config needs (40, 160)";
    QTest::newRow("Bidirectional save_weights") << "bidirectional_weights.h5"
                                                << "unsupported"
                                                << "Bidirectional(LSTM) layer 'bidirectional_1'";
    QTest::newRow("Bidirectional .weights.h5") << "bidirectional.weights.h5"
                                               << "unsupported"
                                               << "Bidirectional(LSTM) layer 'bidirectional'";
    QTest::newRow(".keras without config.json") << "no_config.keras"
                                                << "missing_array"
                                                << "config.json";
    QTest::newRow(".keras without weights") << "no_weights.keras"
                                            << "missing_array"
                                            << "model.weights.h5";
    QTest::newRow(".keras config not JSON") << "bad_config.keras"
                                            << "malformed_header"
                                            << "config.json";
    QTest::newRow(".keras weights not HDF5") << "text_weights.keras"
                                             << "bad_magic"
                                             << "model.weights.h5";
    QTest::newRow("text named .h5") << "text.h5"
                                    << "bad_magic"
                                    << "'these ar'";
    QTest::newRow("empty .keras") << "empty.keras"
                                  << "truncated"
                                  << "empty";
    QTest::newRow("missing file") << "nowhere.h5"
                                  << "io"
                                  << "no such file";
}

void TestKerasFile::editedFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, kind);
    QFETCH(QString, mention);
    const std::string path = m_dir.filePath(file).toStdString();
    verifyRefusal(errorOf([&] { loadWeightsFile(path); }), kind, {path, mention.toStdString()});
}

void TestKerasFile::editedFilesThatLoad()
{
    const std::string covid = "keras2_covid_simple_rnn_dense.h5";

    const LoadedModel f64 = loadWeightsFile(temp("float64.h5"));
    QCOMPARE(f64.dtype, DType::Float64);
    compareWithDump(f64, covid, "simple_rnn", "dense");

    const LoadedModel noBias = loadWeightsFile(temp("no_bias.h5"));
    QVERIFY(noBias.weights.bh.isZero());
    QCOMPARE(noBias.weights.bh.size(), 4);
    QCOMPARE(maxDifference(noBias.weights.Wo, f64.weights.Wo), 0.0);
    QCOMPARE(maxDifference(noBias.weights.bo, f64.weights.bo), 0.0);
    QVERIFY2(mentions(noBias.notes, "use_bias=False"), allNotes(noBias).c_str());

    const LoadedModel noBiases = loadWeightsFile(temp("no_biases.h5"));
    QVERIFY(noBiases.weights.bh.isZero() && noBiases.weights.bo.isZero());
    QCOMPARE(noBiases.weights.K(), 1);
    QCOMPARE(maxDifference(noBiases.weights.Wo, f64.weights.Wo), 0.0);
    QVERIFY2(mentions(noBiases.notes, "the Dense layer has no bias"), allNotes(noBiases).c_str());

    const LoadedModel edited = loadWeightsFile(temp("relu_sigmoid.h5"));
    QCOMPARE(edited.cell, std::optional<Activation>(Activation::Relu));
    QCOMPARE(edited.dense, std::optional<Activation>(Activation::Sigmoid));
    QCOMPARE(edited.returnSequences, std::optional<bool>(true));

    for (const char *name : {"split_layer_names.h5", "userblock.h5"}) {
        const LoadedModel m = loadWeightsFile(temp(name));
        compareWithDump(m, covid, "simple_rnn", "dense");
        QCOMPARE(m.T, std::optional<int>(1));
    }

    // A GRU with reset_after=False and its (3M,) bias; a GRU(use_bias=False) keeps reset_after
    // (a zero (2, 3M) bias: the two forms differ even without biases).
    const LoadedModel oneRow = loadWeightsFile(temp("gru_one_row_bias.h5"));
    QCOMPARE(oneRow.weights.kind(), CellKind::GRU);
    QVERIFY(!oneRow.weights.resetAfter());
    QCOMPARE(oneRow.weights.bh.size(), 150);
    const LoadedModel gruNoBias = loadWeightsFile(temp("gru_no_bias.h5"));
    QVERIFY(gruNoBias.weights.resetAfter());
    QVERIFY(gruNoBias.weights.bh.isZero());
    QVERIFY2(mentions(gruNoBias.notes, "the GRU has no bias (use_bias=False)"), allNotes(gruNoBias).c_str());

    // hard_sigmoid as the file's version defines it: Keras 3's in a Keras 3 file; a Keras 2.0.6
    // config without recurrent_activation takes that version's default, Keras 2's hard_sigmoid.
    QCOMPARE(loadWeightsFile(temp("gru_hard_sigmoid.h5")).recurrent, std::optional<Activation>(Activation::HardSigmoid));
    QCOMPARE(loadWeightsFile(temp("lstm_default_recurrent_activation.h5")).recurrent,
             std::optional<Activation>(Activation::HardSigmoidKeras2));
}

void TestKerasFile::truncatedFiles_data()
{
    fixtures_data();
}

// Cut anywhere, every fixture is refused with one line that names it.
void TestKerasFile::truncatedFiles()
{
    QFETCH(QString, file);
    const std::vector<std::uint8_t> bytes = fileBytes(kKeras + file.toStdString());
    QVERIFY(!bytes.empty());
    QTemporaryDir dir;
    const std::string path = dir.filePath(file).toStdString();
    std::map<std::string, int> kinds;
    for (const std::size_t size : {std::size_t(1), std::size_t(8), std::size_t(100), std::size_t(600), bytes.size() / 4,
                                   bytes.size() / 2, bytes.size() - 1000, bytes.size() - 1}) {
        writeBytes(path, bytes.data(), size);
        const auto error = errorOf([&] { loadWeightsFile(path); });
        QVERIFY2(error, ("a copy cut to " + std::to_string(size) + " bytes loaded").c_str());
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path, 0) == 0, error->what());
        ++kinds[errorKindName(error->kind())];
    }
    std::string summary;
    for (const auto &[kind, count] : kinds)
        summary += kind + "×" + std::to_string(count) + " ";
    qDebug("%s", summary.c_str());
}

void TestKerasFile::bitFlippedFiles_data()
{
    fixtures_data();
}

// Bits flipped in the structures (the first 4 KiB) and anywhere: a copy loads (then its weights
// fit together) or is refused with one line that names it; the process survives either way.
void TestKerasFile::bitFlippedFiles()
{
    QFETCH(QString, file);
    const std::vector<std::uint8_t> original = fileBytes(kKeras + file.toStdString());
    QTemporaryDir dir;
    const std::string path = dir.filePath(file).toStdString();
    std::mt19937_64 random(std::hash<std::string>{}(file.toStdString()) % 1000003);
    std::map<std::string, int> outcomes;
    for (int copy = 0; copy < 24; ++copy) {
        std::vector<std::uint8_t> bytes = original;
        const std::size_t span = copy % 3 == 2 ? bytes.size() : std::min<std::size_t>(bytes.size(), 4096);
        for (int flips = 1 + copy % 3; flips > 0; --flips) {
            const std::size_t at = static_cast<std::size_t>(random() % span);
            bytes[at] = static_cast<std::uint8_t>(bytes[at] ^ (1u << (random() % 8)));
        }
        writeBytes(path, bytes.data(), bytes.size());
        LoadedModel m;
        const auto error = errorOf([&] { m = loadWeightsFile(path); });
        if (error) {
            QVERIFY(oneLine(*error));
            QVERIFY2(std::string(error->what()).rfind(path, 0) == 0, error->what());
            const bool crashed = std::string(error->what()).find("crashed") != std::string::npos;
            ++outcomes[crashed ? "reader crashed" : errorKindName(error->kind())];
        } else {
            checkShapes(m.weights);
            ++outcomes["load"];
        }
    }
    std::string summary;
    for (const auto &[outcome, count] : outcomes)
        summary += outcome + "×" + std::to_string(count) + " ";
    qDebug("%s", summary.c_str());
}

QTEST_APPLESS_MAIN(TestKerasFile)
#include "test_kerasfile.moc"
