'use strict';
// Plain tensors ({ name, datatype, shape, data }) to and from the Open Inference Protocol's.
// Requests carry raw contents (little-endian; a BYTES element is a 4-byte length and the bytes);
// responses are read from raw contents when they have them, else from typed contents.
// In answers, INT64 data is a BigInt64Array, INT32 an Int32Array, FP32 a Float32Array, FP64 a
// Float64Array, BOOL an array of booleans and BYTES an array of Buffers.

const WIDTH = { INT64: 8, INT32: 4, FP32: 4, FP64: 8, BOOL: 1 };
const TYPED = {
  INT64: 'int64Contents', INT32: 'intContents', FP32: 'fp32Contents', FP64: 'fp64Contents',
  BOOL: 'boolContents', BYTES: 'bytesContents',
};

function encodeInputs(inputs) {
  const headers = [];
  const raw = [];
  for (const { name, datatype, shape, data } of inputs) {
    const values = Array.from(data);
    let buf;
    if (datatype === 'BYTES') {
      buf = Buffer.concat(values.flatMap((v) => {
        const bytes = Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return [length, bytes];
      }));
    } else if (WIDTH[datatype]) {
      const w = WIDTH[datatype];
      buf = Buffer.alloc(values.length * w);
      values.forEach((v, i) => {
        if (datatype === 'INT64') buf.writeBigInt64LE(BigInt(v), i * w);
        else if (datatype === 'INT32') buf.writeInt32LE(Number(v), i * w);
        else if (datatype === 'FP32') buf.writeFloatLE(Number(v), i * w);
        else if (datatype === 'FP64') buf.writeDoubleLE(Number(v), i * w);
        else buf.writeUInt8(v ? 1 : 0, i * w);
      });
    } else {
      throw new TypeError(`input ${name}: datatype ${JSON.stringify(datatype)} (expected: one of ${Object.keys(TYPED).join(', ')})`);
    }
    headers.push({ name, datatype, shape: shape || [values.length] });
    raw.push(buf);
  }
  return { inputs: headers, rawInputContents: raw };
}

function decodeOutputs(outputs, raw) {
  const result = {};
  outputs.forEach((o, i) => {
    const shape = o.shape.map(Number);
    const data = raw && raw.length ? fromRaw(o, raw[i]) : fromContents(o);
    result[o.name] = { name: o.name, datatype: o.datatype, shape, data };
  });
  return result;
}

function fromRaw(o, buf) {
  const w = WIDTH[o.datatype];
  if (o.datatype === 'BYTES') {
    const items = [];
    for (let at = 0; at < buf.length;) {
      const n = buf.readUInt32LE(at);
      if (at + 4 + n > buf.length) throw new RangeError(`output ${o.name}: a BYTES element of ${n} bytes overruns the contents`);
      items.push(buf.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    return items;
  }
  if (!w) throw new TypeError(`output ${o.name}: datatype ${o.datatype} is not read by this client`);
  const n = buf.length / w;
  const read = {
    INT64: [BigInt64Array, (i) => buf.readBigInt64LE(i * 8)],
    INT32: [Int32Array, (i) => buf.readInt32LE(i * 4)],
    FP32: [Float32Array, (i) => buf.readFloatLE(i * 4)],
    FP64: [Float64Array, (i) => buf.readDoubleLE(i * 8)],
  }[o.datatype];
  if (!read) return Array.from(buf, (b) => b !== 0);
  const [Type, at] = read;
  return Type.from({ length: n }, (_, i) => at(i));
}

function fromContents(o) {
  const field = TYPED[o.datatype];
  if (!field) throw new TypeError(`output ${o.name}: datatype ${o.datatype} has no typed contents this client reads`);
  const values = (o.contents && o.contents[field]) || [];
  if (o.datatype === 'INT64') return BigInt64Array.from(values, (v) => BigInt(v));
  if (o.datatype === 'INT32') return Int32Array.from(values);
  if (o.datatype === 'FP32') return Float32Array.from(values);
  if (o.datatype === 'FP64') return Float64Array.from(values);
  return values;
}

module.exports = { encodeInputs, decodeOutputs };
