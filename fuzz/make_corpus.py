#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets, fuzz/corpus/<target>/, and fuzz/templates/.

Run from anywhere: /usr/bin/python3 fuzz/make_corpus.py [SHARED_DIR]   (default: ../shared beside
the repository). Needs python3-numpy and python3-h5py. Deterministic: running it again rewrites
the same bytes, so the corpus only changes in git when this script or the fixtures change.

  corpus/npy/            every .npy of shared/fixtures/numpy (good and deliberately broken)
  corpus/npz/            every .npz there, plus PyTorch state_dict and bias-less Keras layouts
  corpus/csv/            the fixtures' X as CSV in the dialects parseInputCsv accepts, and broken ones
  corpus/keras_archive/  Keras 3 .keras archives of the classic model and of LSTM and GRU models
                         (written here with h5py, as Keras 3 lays them out: shared/fixtures/keras/
                         LAYOUT.md; weight groups named by class and counter, not by the config's
                         names), a Bidirectional(LSTM), and broken ones
  corpus/keras_config/   one selector byte + a model configuration (fuzz_keras_config.cpp)
  corpus/session/        session files written by `rnnscope save OUT.json` (needs a built rnnscope:
                         RNNSCOPE_BINARY, default build/app/rnnscope; skipped without one), broken
                         ones, and network sessions (version 3) written here
  templates/             Keras 1/2 model.save() files with @model_config (SimpleRNN, LSTM — Keras 1's
                         12 per-gate arrays too — and Bidirectional(LSTM)), from shared/fixtures/keras
                         (Apache-2.0, see templates/README.md)

Inputs that once crashed a target are added to corpus/<target>/ by hand as crash-<what>; this
script leaves files it did not write alone. Keep the corpus small (the whole of fuzz/ < 2 MB):
libFuzzer grows its working corpus in build-fuzz/, not here.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', 'shared'))
NUMPY = os.path.join(SHARED, 'fixtures', 'numpy')
KERAS = os.path.join(SHARED, 'fixtures', 'keras')
LEGACY_TEMPLATES = ['keras1_dl4j_simple_rnn_only.h5', 'keras2_dl4j_simple_rnn_model.h5', 'keras2_dl4j_simple_rnn_only.h5',
                    'keras1_dl4j_lstm_model.h5', 'keras2_dl4j_lstm_model.h5', 'dl4j_keras2_bidirectional_lstm.h5']

manifest = json.load(open(os.path.join(NUMPY, 'manifest.json')))
W = {k: np.array(v, dtype=np.float32) for k, v in manifest['model']['weights_float32'].items()}
X = np.array(manifest['model']['X_float32'], dtype=np.float32)  # (N, T, D)


def out(target, name, data):
    folder = os.path.join(HERE, 'corpus', target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


def npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ---- .npy and .npz: the fixtures as they are ---------------------------------------------------
for name in sorted(os.listdir(NUMPY)):
    path = os.path.join(NUMPY, name)
    if name.endswith('.npy'):
        out('npy', name, open(path, 'rb').read())
    elif name.endswith('.npz'):
        out('npz', name, open(path, 'rb').read())

out('npz', 'pytorch_state_dict.npz', npz({
    'rnn.weight_ih_l0': W['kernel'].T.copy(), 'rnn.weight_hh_l0': W['recurrent_kernel'].T.copy(),
    'rnn.bias_ih_l0': W['bias'], 'rnn.bias_hh_l0': np.zeros_like(W['bias']),
    'fc.weight': W['dense_kernel'].T.copy(), 'fc.bias': W['dense_bias']}))
out('npz', 'keras_rnn_without_bias.npz', npz({
    'arr_0': W['kernel'], 'arr_1': W['recurrent_kernel'], 'arr_2': W['dense_kernel'], 'arr_3': W['dense_bias']}))
out('npz', 'keras_no_dense_with_X.npz', npz({'arr_0': W['kernel'], 'arr_1': W['recurrent_kernel'], 'arr_2': W['bias'], 'X': X}))
# Networks: a positional stack of two layers → Dense, and a bidirectional two-layer PyTorch GRU.
_rng = np.random.default_rng(0)
_f = lambda *s: _rng.standard_normal(s).astype(np.float32)
out('npz', 'keras_stack_positional.npz', npz({f'arr_{i}': a for i, a in enumerate(
    [_f(3, 16), _f(4, 16), _f(16), _f(4, 6), _f(6, 6), _f(6), _f(6, 2), _f(2)])}))
out('npz', 'pytorch_bidirectional_gru_2_layers.npz', npz({
    f'gru.{w}_l{k}{sfx}': _f(*shape) for k in range(2) for sfx in ('', '_reverse')
    for w, shape in (('weight_ih', (15, 3 if k == 0 else 10)), ('weight_hh', (15, 5)), ('bias_ih', (15,)), ('bias_hh', (15,)))}))
out('npy', 'scalar_f8.npy', (lambda b: (np.save(b, np.float64(np.nan)), b.getvalue())[1])(io.BytesIO()))
out('npy', 'empty_0x3.npy', (lambda b: (np.save(b, np.zeros((0, 3), np.float32)), b.getvalue())[1])(io.BytesIO()))

# ---- CSV: one sample (T, D) -------------------------------------------------------------------
sample = X[0].astype(np.float64)
rows = [[repr(float(v)) for v in row] for row in sample]
out('csv', 'comma.csv', ('\n'.join(','.join(r) for r in rows) + '\n').encode())
out('csv', 'savetxt_spaces.csv', ('\n'.join(' '.join('%.18e' % float(v) for v in row) for row in sample) + '\n').encode())
out('csv', 'header_comments_crlf.csv', ('# X of sample 0\r\nx0,x1,x2\r\n\r\n' + '\r\n'.join(', '.join(r) for r in rows) + '\r\n').encode())
out('csv', 'nan_inf.csv', b'nan,inf,-inf\n1e308,-0.0,5e-324\nNaN,Inf,-Infinity\n')
out('csv', 'ragged.csv', b'1,2,3\n4,5\n')
out('csv', 'not_a_number.csv', b'1,2,3\n4,x,6\n')
out('csv', 'comments_only.csv', b'# nothing\n\n#\n')
out('csv', 'one_value.csv', b'0.5')

# ---- Keras 3 .keras archives of the classic model, and of LSTM and GRU models -------------------
def keras3_layer(module, class_name, config, **extra):
    return dict(module=module, class_name=class_name, config=config, registered_name=None, **extra)


def simple_rnn_config(name, units, activation, return_sequences):
    return dict(name=name, trainable=True, dtype='float32', return_sequences=return_sequences, return_state=False,
                go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False, units=units,
                activation=activation, use_bias=True, dropout=0.0, recurrent_dropout=0.0)


def gated_config(name, units, return_sequences, recurrent_activation='sigmoid', **extra):
    """An LSTM's or GRU's config (GRU: pass reset_after)."""
    return dict(simple_rnn_config(name, units, 'tanh', return_sequences), recurrent_activation=recurrent_activation,
                **extra)


def dense_config(name, units, activation):
    return dict(name=name, trainable=True, dtype='float32', units=units, activation=activation, use_bias=True)


def input_layer(T, D):
    return keras3_layer('keras.layers', 'InputLayer', dict(batch_shape=[None, T, D], dtype='float32', sparse=False,
                                                           ragged=False, name='input_layer', optional=False))


def sequential_model(layers, T, D):
    return keras3_layer('keras', 'Sequential', dict(name='sequential', trainable=True, dtype='float32',
                                                    layers=[input_layer(T, D)] + layers),
                        build_config=dict(input_shape=[None, T, D]))


def sequential_config():
    T, D = 10, W['kernel'].shape[0]
    M, K = W['recurrent_kernel'].shape[0], W['dense_kernel'].shape[1]
    return sequential_model([
        keras3_layer('keras.layers', 'SimpleRNN', simple_rnn_config('simple_rnn', M, 'tanh', False),
                     build_config=dict(input_shape=[None, T, D])),
        keras3_layer('keras.layers', 'Dropout', dict(name='dropout', trainable=True, dtype='float32', rate=0.2, seed=None)),
        keras3_layer('keras.layers', 'Dense', dense_config('dense', K, 'linear'), build_config=dict(input_shape=[None, M])),
    ], T, D)


def functional_config():
    T, D = 10, W['kernel'].shape[0]
    M, K = W['recurrent_kernel'].shape[0], W['dense_kernel'].shape[1]

    def node(layer, shape):
        return [dict(args=[dict(class_name='__keras_tensor__', config=dict(shape=shape, dtype='float32',
                                                                            keras_history=[layer, 0, 0]))], kwargs={})]
    return keras3_layer('keras.src.models.functional', 'Functional', dict(name='functional', trainable=True, layers=[
        dict(keras3_layer('keras.layers', 'InputLayer', dict(batch_shape=[None, T, D], dtype='float32', sparse=False,
                                                             name='input_layer')), name='input_layer', inbound_nodes=[]),
        dict(keras3_layer('keras.layers', 'SimpleRNN', simple_rnn_config('simple_rnn', M, 'relu', True),
                          build_config=dict(input_shape=[None, T, D])), name='simple_rnn',
             inbound_nodes=node('input_layer', [None, T, D])),
        dict(keras3_layer('keras.layers', 'Dense', dense_config('dense', K, 'softmax'),
                          build_config=dict(input_shape=[None, T, M])), name='dense',
             inbound_nodes=node('simple_rnn', [None, T, M])),
    ], input_layers=[['input_layer', 0, 0]], output_layers=[['dense', 0, 0]]), build_config=dict(input_shape=None))


def keras3_weights(model_name, cells=None, dense=None):
    """model.weights.h5 as Keras 3 writes it: layers/<group>/cell/vars/0..2 for each recurrent layer,
    layers/<group>/vars/0..1 for the Dense. `cells` maps group → (kernel, recurrent kernel, bias);
    the default is the classic SimpleRNN and Dense."""
    cells = cells or {'simple_rnn': [W[k] for k in ('kernel', 'recurrent_kernel', 'bias')]}
    dense = dense or [W['dense_kernel'], W['dense_bias']]
    buffer = io.BytesIO()
    with h5py.File(buffer, 'w', track_order=False) as f:
        f.create_group('vars').attrs['name'] = model_name
        layers = f.create_group('layers')
        layers.create_group('input_layer/vars').attrs['name'] = 'input_layer'
        for group, arrays in cells.items():
            rnn = layers.create_group(group)
            rnn.create_group('vars').attrs['name'] = group
            cell = rnn.create_group('cell/vars')
            cell.attrs['name'] = group + '_cell'
            for i, a in enumerate(arrays):
                cell.create_dataset(str(i), data=a)
        layers.create_group('dropout/vars').attrs['name'] = 'dropout'
        vars = layers.create_group('dense/vars')
        vars.attrs['name'] = 'dense'
        vars.create_dataset('0', data=dense[0])
        vars.create_dataset('1', data=dense[1])
    return buffer.getvalue()


# Gated cells on the classic sizes (D=3, M=5, K=2), values drawn with a fixed seed (PCG64 streams
# are the same in every numpy): kernel (D, gM), recurrent kernel (M, gM), bias (gM,) or a GRU's (2, gM).
draw = np.random.default_rng(20240601)
D3, M5, K2 = W['kernel'].shape[0], W['recurrent_kernel'].shape[0], W['dense_kernel'].shape[1]


def gated(g, two_rows=False, d=D3, m=M5):
    shapes = [(d, g * m), (m, g * m), (2, g * m) if two_rows else (g * m,)]
    return [draw.uniform(-0.5, 0.5, shape).astype(np.float32) for shape in shapes]


LSTM_W, GRU_W, GRU_FALSE_W = gated(4), gated(3, two_rows=True), gated(3)
STACK_W = {'lstm': gated(4), 'gru': gated(3, two_rows=True, d=M5, m=M5), 'lstm_1': gated(4, d=M5)}


def gated_sequential(class_name, config):
    return sequential_model([keras3_layer('keras.layers', class_name, config, build_config=dict(input_shape=[None, 10, D3])),
                       keras3_layer('keras.layers', 'Dense', dense_config('dense', K2, 'linear'))], 10, D3)


lstm_sequential = gated_sequential('LSTM', gated_config('lstm', M5, False, 'hard_sigmoid', unit_forget_bias=True))
gru_sequential = gated_sequential('GRU', gated_config('gru', M5, False, reset_after=True))
gru_false_sequential = gated_sequential('GRU', gated_config('gru', M5, True, reset_after=False))
# Config names unlike the weight groups (layers/lstm, layers/gru, layers/lstm_1, layers/dense):
# Keras 3 numbers the groups per class in model order.
stack_sequential = sequential_model([
    keras3_layer('keras.layers', 'LSTM', gated_config('encoder', M5, True)),
    keras3_layer('keras.layers', 'GRU', gated_config('middle', M5, True, reset_after=True)),
    keras3_layer('keras.layers', 'LSTM', gated_config('decoder', M5, False)),
    keras3_layer('keras.layers', 'Dropout', dict(name='drop', trainable=True, dtype='float32', rate=0.2, seed=None)),
    keras3_layer('keras.layers', 'Dense', dense_config('head', K2, 'linear'))], 10, D3)
bidirectional_sequential = sequential_model([
    keras3_layer('keras.layers', 'Bidirectional', dict(
        name='bidirectional', merge_mode='concat',
        layer=keras3_layer('keras.layers', 'LSTM', gated_config('forward_lstm', M5, False)),
        backward_layer=keras3_layer('keras.layers', 'LSTM', dict(gated_config('backward_lstm', M5, False), go_backwards=True)))),
    keras3_layer('keras.layers', 'Dense', dense_config('dense_1', K2, 'linear'))], 10, D3)


def bidirectional_weights():
    buffer = io.BytesIO()
    with h5py.File(buffer, 'w', track_order=False) as f:
        f.create_group('vars')
        for half, arrays in [('forward_layer', LSTM_W), ('backward_layer', gated(4))]:
            f.create_group(f'layers/bidirectional/{half}/vars')
            for i, a in enumerate(arrays):
                f.create_dataset(f'layers/bidirectional/{half}/cell/vars/{i}', data=a)
        f.create_dataset('layers/dense/vars/0', data=draw.uniform(-1, 1, (2 * M5, K2)).astype(np.float32))
        f.create_dataset('layers/dense/vars/1', data=np.zeros(K2, np.float32))
    return buffer.getvalue()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as z:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method if method is not None else compression
            z.writestr(info, data)
    return buffer.getvalue()


metadata = json.dumps({'keras_version': '3.3.3', 'date_saved': '2026-11-22@00:00:00'}).encode()
sequential = json.dumps(sequential_config()).encode()
functional = json.dumps(functional_config()).encode()
weights_sequential = keras3_weights('sequential')
weights_functional = keras3_weights('functional')
S = zipfile.ZIP_STORED
out('keras_archive', 'classic_sequential.keras',
    zip_bytes([('metadata.json', metadata, S), ('config.json', sequential, S), ('model.weights.h5', weights_sequential, S)]))
out('keras_archive', 'relu_softmax_sequences_functional.keras',
    zip_bytes([('metadata.json', metadata, S), ('config.json', functional, S), ('model.weights.h5', weights_functional, S)]))
out('keras_archive', 'deflated_config.keras',
    zip_bytes([('metadata.json', metadata, zipfile.ZIP_DEFLATED), ('config.json', sequential, zipfile.ZIP_DEFLATED),
               ('model.weights.h5', weights_sequential, S)]))
out('keras_archive', 'no_weights.keras', zip_bytes([('metadata.json', metadata, S), ('config.json', sequential, S)]))
out('keras_archive', 'weights_not_hdf5.keras',
    zip_bytes([('config.json', sequential, S), ('model.weights.h5', b'not an HDF5 file', S)]))
out('keras_archive', 'config_not_json.keras',
    zip_bytes([('config.json', b'{"class_name": "Sequential", "config": {"layers": [', S),
               ('model.weights.h5', weights_sequential, S)]))
out('keras_archive', 'empty_zip.keras', zip_bytes([]))
out('keras_archive', 'truncated.keras', zip_bytes([('metadata.json', metadata, S), ('config.json', sequential, S)])[:700])
GATED = {
    'lstm_sequential.keras': (lstm_sequential, keras3_weights('sequential', {'lstm': LSTM_W})),
    'gru_sequential.keras': (gru_sequential, keras3_weights('sequential', {'gru': GRU_W})),
    'gru_reset_after_false_sequences.keras': (gru_false_sequential, keras3_weights('sequential', {'gru': GRU_FALSE_W})),
    'lstm_gru_lstm_renamed.keras': (stack_sequential, keras3_weights('sequential', STACK_W)),
    'bidirectional_lstm.keras': (bidirectional_sequential, bidirectional_weights()),
}
for name, (config, weights) in GATED.items():
    out('keras_archive', name, zip_bytes([('metadata.json', metadata, S), ('config.json', json.dumps(config).encode(), S),
                                          ('model.weights.h5', weights, S)]))

# ---- model configurations for fuzz_keras_config ----------------------------------------------------
# Selector bit 0: 0 .keras archive, 1 legacy .h5; bit 1: @model_config fixed-length; bits 2+: template
# (the archives of corpus/keras_archive/ with an HDF5 model.weights.h5, or templates/*.h5, in name order).
out('keras_config', 'keras3_sequential.json', b'\x00' + sequential)
out('keras_config', 'keras3_functional.json', b'\x00' + functional)
def archive_template(name):
    """Whether fuzz_keras_config takes corpus/keras_archive/<name> as a template: a zip with an HDF5
    model.weights.h5."""
    path = os.path.join(HERE, 'corpus', 'keras_archive', name)
    if not name.endswith('.keras') or not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return 'model.weights.h5' in z.namelist() and z.read('model.weights.h5').startswith(b'\x89HDF')


ARCHIVE_TEMPLATES = sorted(filter(archive_template, os.listdir(os.path.join(HERE, 'corpus', 'keras_archive'))))
for name, (config, weights) in GATED.items():
    out('keras_config', 'keras3_' + name[:-len('.keras')] + '.json',
        bytes([ARCHIVE_TEMPLATES.index(name) << 2]) + json.dumps(config).encode())
os.makedirs(os.path.join(HERE, 'templates'), exist_ok=True)
for i, name in enumerate(sorted(LEGACY_TEMPLATES)):
    shutil.copyfile(os.path.join(KERAS, name), os.path.join(HERE, 'templates', name))
    with h5py.File(os.path.join(KERAS, name), 'r') as f:
        config = f.attrs['model_config']
        config = config.encode() if isinstance(config, str) else bytes(config)
    stem = name[:-3]
    out('keras_config', stem + '.json', bytes([1 | (i << 2)]) + config)
    out('keras_config', stem + '_fixed_length.json', bytes([3 | (i << 2)]) + config)

# ---- session files ---------------------------------------------------------------------------------
BINARY = os.environ.get('RNNSCOPE_BINARY', os.path.join(HERE, '..', 'build', 'app', 'rnnscope'))
SESSIONS = {
    'classic.json': [],
    'float64_relu_sequences_no_dense.json': ['--dims', '2,4,3,5,0', '--return-sequences', '--dtype', 'float64',
                                             '--activation', 'relu', '--seed', '7'],
    'fixture_weights_and_input.json': ['--weights', os.path.join(NUMPY, 'weights_named.npz'),
                                       '--input', os.path.join(NUMPY, 'X.npy'), '--layout', 'pytorch'],
    'identity_softmax.json': ['--dims', '1,3,2,4,3', '--init', 'identity', '--dense-activation', 'softmax'],
    'lstm.json': ['--dims', '2,4,3,3,2', '--cell', 'lstm', '--seed', '3'],
    'gru_reset_after.json': ['--dims', '1,5,2,3,1', '--cell', 'gru', '--recurrent-activation', 'hard_sigmoid'],
    'gru_keras2.json': ['--dims', '1,3,2,2,0', '--cell', 'gru', '--no-reset-after', '--dtype', 'float64'],
}
if os.access(BINARY, os.X_OK):
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in SESSIONS.items():
            path = os.path.join(tmp, name)
            subprocess.run([BINARY, 'save', path] + args, check=True)
            data = open(path, 'rb').read()
            out('session', name, data)
            if name == 'classic.json':
                text = data.decode()
                out('session', 'truncated.json', data[:len(data) // 2])
                out('session', 'newer_version.json', text.replace('"version": 2', '"version": 99').encode())
                # The same session as version 1 wrote it (before LSTM and GRU: no "layers").
                v1 = json.loads(text)
                v1['version'] = 1
                del v1['layers']
                out('session', 'classic_v1.json', json.dumps(v1).encode())
                session = json.loads(text)
                session['weights']['Wx'][0][0] = 'nan'
                session['weights']['Wh'][1][1] = '-inf'
                session['weights']['bo'][0] = 'inf'
                out('session', 'nan_inf_weights.json', json.dumps(session).encode())
else:
    print('make_corpus.py: no rnnscope at %s: corpus/session/ left as it is' % BINARY, file=sys.stderr)
out('session', 'not_a_session.json', b'{"format": "something-else", "version": 1}')
out('session', 'deep.json', b'[' * 10000)

# Network sessions (version 3) as core/io/sessionfile.h lays them out, written here: a stack of two
# LSTMs, a Bidirectional GRU (merge sum) over a go_backwards SimpleRNN, an Embedding before a GRU.
GATES = {'simplernn': 1, 'lstm': 4, 'gru': 3}


def network_session(dims, layers, vocabulary=0, layer=0, direction=0, seed=0):
    rng = np.random.default_rng(seed)
    values = lambda *shape: np.round(rng.uniform(-1, 1, shape), 6).tolist()
    full = []
    for spec in layers:
        d = {'activation': 'tanh', 'recurrent_activation': 'sigmoid', 'reset_after': True, 'return_sequences': False,
             'go_backwards': False, 'bidirectional': False, 'merge': 'concat'}
        d.update(spec)
        full.append(d)
    weights, width = [], dims['D']
    for spec in full:
        gm = GATES[spec['cell']] * spec['units']
        bias = (2, gm) if spec['cell'] == 'gru' and spec['reset_after'] else (gm,)
        weights.append([{'Wx': values(width, gm), 'Wh': values(spec['units'], gm), 'bh': values(*bias)}
                        for _ in range(2 if spec['bidirectional'] else 1)])
        width = spec['units'] * (2 if spec['bidirectional'] and spec['merge'] == 'concat' else 1)
    session = {'format': 'rnnscope-session', 'version': 3, 'dims': dims, 'dtype': 'float32', 'seed': seed,
               'initializer': {'scheme': 'keras', 'scale': 0.05}, 'dense_activation': 'linear',
               'vocabulary': vocabulary, 'layers': full, 'timestep': -1, 'sample': 0, 'layer': layer,
               'direction': direction, 'view': {'layout': 'keras', 'units': [], 'presentation': False},
               'weights': {'layers': weights, 'Wo': values(width, dims['K']), 'bo': values(dims['K'])}}
    if vocabulary:
        session['weights']['embedding'] = values(vocabulary, dims['D'])
        session['ids'] = rng.integers(0, vocabulary, (dims['N'], dims['T'])).tolist()
    else:
        session['X'] = values(dims['N'], dims['T'], dims['D'])
    return json.dumps(session, indent=1).encode()


out('session', 'network_stacked_lstm.json',
    network_session({'N': 2, 'T': 3, 'D': 2, 'K': 1},
                    [{'cell': 'lstm', 'units': 3, 'return_sequences': True}, {'cell': 'lstm', 'units': 2}], layer=1))
out('session', 'network_bidirectional_gru.json',
    network_session({'N': 1, 'T': 4, 'D': 2, 'K': 2},
                    [{'cell': 'simplernn', 'units': 2, 'return_sequences': True, 'go_backwards': True},
                     {'cell': 'gru', 'units': 2, 'bidirectional': True, 'merge': 'sum'}], layer=1, direction=1, seed=1))
out('session', 'network_embedding.json',
    network_session({'N': 2, 'T': 3, 'D': 2, 'K': 0}, [{'cell': 'gru', 'units': 2, 'reset_after': False}],
                    vocabulary=5, seed=2))
