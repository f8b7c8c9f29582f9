import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types used by trbench graphs (TensorProto.DataType). */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: fixed size or a symbolic name. */
export type Dim = number | string;

/** Node attribute values; floats and ints are explicit because ONNX types them. */
export type Attr = { int: number } | { float: number } | { ints: readonly number[] } | { string: string };

export const int = (v: number): Attr => ({ int: v });
export const float = (v: number): Attr => ({ float: v });
export const ints = (v: readonly number[]): Attr => ({ ints: v });

type Proto = onnxProto.onnx.IModelProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

/**
 * A minimal ONNX graph builder over onnx-proto: named inputs/outputs, raw-data initializers, nodes with
 * generated value names, and deduplicated scalar/vector constants. Produces the serialized ModelProto
 * that `InferenceSession` loads from memory.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly constants = new Map<string, string>();
  /** Node outputs that become graph outputs: renamed everywhere at build time. */
  private readonly renames = new Map<string, string>();
  private counter = 0;

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /**
   * Declares `value` a graph output under `name`. A node output is renamed in place (an Identity would be
   * one more copy per run); anything else gets an Identity.
   */
  output(value: string, name: string, type: ElemType, dims: readonly Dim[]): void {
    const produced = this.nodes.some((n) => n.output?.includes(value));
    if (value !== name && produced && !this.renames.has(value)) this.renames.set(value, name);
    else if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a float32 / int32 / int64 initializer; `dims` is the ONNX (row-major) shape. */
  initializer(name: string, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]): string {
    const type = data instanceof Float32Array ? ElemType.FLOAT : data instanceof Int32Array ? ElemType.INT32 : ElemType.INT64;
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new RangeError(`initializer ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({
      name,
      dataType: type,
      dims: [...dims],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A float32 scalar constant (shared between uses). */
  scalar(value: number): string {
    return this.constant(`f:${value}`, () => Float32Array.of(value), []);
  }

  /** An int64 vector constant, e.g. a shape for Reshape or axes for a reduction. */
  int64s(values: readonly number[]): string {
    return this.constant(`i64:${values.join(',')}`, () => BigInt64Array.from(values, (v) => BigInt(v)), [values.length]);
  }

  /** Adds a node with `outputs` fresh output names and returns them. */
  nodeN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, Attr> = {}): string[] {
    const id = this.counter++;
    const names = Array.from({ length: outputs }, (_, i) => `${opType.toLowerCase()}_${id}${outputs > 1 ? `_${i}` : ''}`);
    const attribute = Object.entries(attrs).map(([name, a]) => attribute_(name, a));
    this.nodes.push({ opType, input: [...inputs], output: names, name: `${opType}_${id}`, attribute });
    return names;
  }

  /** Adds a single-output node and returns its output name. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.nodeN(opType, inputs, 1, attrs)[0];
  }

  /**
   * Serializes the model: IR 10, ai.onnx opset 23 (the first with RMSNormalization, RotaryEmbedding and
   * Attention); onnxruntime-node 1.30 accepts IR <= 13 and opset <= 26.
   */
  build(name: string): Uint8Array {
    const model: Proto = {
      irVersion: 10,
      producerName: 'trbench',
      opsetImport: [{ domain: '', version: 23 }],
      graph: {
        name,
        node: this.nodes.map((n) => this.renamed(n)),
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private renamed(n: NodeProto): NodeProto {
    const r = (v: string) => this.renames.get(v) ?? v;
    return { ...n, input: n.input?.map(r), output: n.output?.map(r) };
  }

  private constant(key: string, make: () => Float32Array | BigInt64Array, dims: number[]): string {
    let name = this.constants.get(key);
    if (!name) {
      name = `const_${this.constants.size}`;
      this.initializer(name, make(), dims);
      this.constants.set(key, name);
    }
    return name;
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): ValueInfo {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute_(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}
