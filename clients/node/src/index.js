'use strict';
// A small promise-based client of Junction's public gRPC API over @grpc/grpc-js, with the
// protos loaded at run time by @grpc/proto-loader (int64 fields are strings, as in protobuf's
// JSON mapping; oneofs name their set field, e.g. event.event === 'token').

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { encodeInputs, decodeOutputs } = require('./tensors');

const PROTOS = [
  'inference/grpc_service.proto',
  'junction/v1/conversation.proto',
  'junction/v1/pipeline.proto',
  'junction/v1/recommendation.proto',
  'junction/v1/admin.proto',
];

// the protos packed with the package (npm pack copies them), else the repository's
function defaultProtoDir() {
  const packed = path.join(__dirname, '..', 'proto');
  return fs.existsSync(path.join(packed, PROTOS[0])) ? packed : path.join(__dirname, '..', '..', '..', 'proto');
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

/** A call that ended with a status other than OK: `code` is the number (grpc.status), `codeName` its name. */
class JunctionError extends Error {
  constructor(code, details) {
    super(`${CODE_NAMES[code] || code}: ${details}`);
    this.name = 'JunctionError';
    this.code = code;
    this.codeName = CODE_NAMES[code] || String(code);
    this.details = details;
  }

  static of(err) {
    return typeof err.code === 'number' ? new JunctionError(err.code, err.details || err.message) : err;
  }
}

class JunctionClient {
  /**
   * @param {string} address host:port of the orchestrator
   * @param {object} [options] timeoutMs: the deadline of calls that give none (else the server's, 30 s);
   *   credentials: grpc.ChannelCredentials (plaintext by default); protoDir: where the .proto files are
   */
  constructor(address = '127.0.0.1:8500', options = {}) {
    const definition = protoLoader.loadSync(PROTOS, {
      includeDirs: [options.protoDir || defaultProtoDir()],
      keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
    });
    const api = grpc.loadPackageDefinition(definition);
    const credentials = options.credentials || grpc.credentials.createInsecure();
    this.timeoutMs = options.timeoutMs;
    this.conversation = new api.junction.v1.ConversationService(address, credentials);
    const channelOverride = { channelOverride: this.conversation.getChannel() }; // one connection for all
    this.recommendation = new api.junction.v1.RecommendationService(address, credentials, channelOverride);
    this.pipelines = new api.junction.v1.PipelineService(address, credentials, channelOverride);
    this.admin = new api.junction.v1.AdminService(address, credentials, channelOverride);
    this.inference = new api.inference.GRPCInferenceService(address, credentials, channelOverride);
  }

  /** One turn: resolves to { intent, confidence, reply, tokens, ... }. */
  converse(request, options) {
    return this.#unary(this.conversation, 'Converse', request, options);
  }

  /** One turn, streamed: an async iterator of events ({event: 'intent'|'token'|'done', ...}); breaking out cancels it. */
  async *converseStream(request, options) {
    const call = this.conversation.ConverseStream(request, new grpc.Metadata(), this.#callOptions(options));
    try {
      for await (const event of call) {
        yield event;
      }
    } catch (err) {
      throw JunctionError.of(err);
    } finally {
      call.cancel(); // a no-op once the stream has ended
    }
  }

  /** Resolves to the user's top k items ({ itemId, score }; 0: the server's default, 10), highest score first. */
  async recommend({ userId, k = 0 }, options) {
    return (await this.#unary(this.recommendation, 'Recommend', { userId, k }, options)).items;
  }

  /** Runs a pipeline on inputs ([{ name, datatype, shape, data }]); resolves to its outputs by name. */
  async runPipeline(pipeline, inputs, { outputs = [], sessionId = '', ...options } = {}) {
    const request = { pipeline, outputs, sessionId, ...encodeInputs(inputs) };
    return decodeOutputs((await this.#unary(this.pipelines, 'Run', request, options)).outputs, []);
  }

  /** The Open Inference Protocol's ModelInfer on a model or a pipeline; resolves to its outputs by name. */
  async modelInfer(model, inputs, { outputs = [], id = '', ...options } = {}) {
    const request = { modelName: model, id, outputs: outputs.map((name) => ({ name })), ...encodeInputs(inputs) };
    const r = await this.#unary(this.inference, 'ModelInfer', request, options);
    return decodeOutputs(r.outputs, r.rawOutputContents);
  }

  close() {
    this.conversation.close();
  }

  #callOptions({ timeoutMs = this.timeoutMs } = {}) {
    return timeoutMs === undefined ? {} : { deadline: new Date(Date.now() + timeoutMs) };
  }

  #unary(stub, method, request, options) {
    return new Promise((resolve, reject) => {
      stub[method](request, new grpc.Metadata(), this.#callOptions(options), (err, response) => {
        if (err) reject(JunctionError.of(err));
        else resolve(response);
      });
    });
  }
}

module.exports = { JunctionClient, JunctionError, status: grpc.status };
