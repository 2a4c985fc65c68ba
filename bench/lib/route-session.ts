import type { InferenceSession } from 'onnxruntime-node';
import type { TaskSpec } from '../../src/bundle/manifest.js';
import { type EngineLogger, WorkerHost } from '../../src/engine/worker-host.js';

/**
 * A worker-thread session on a monolithic single-route ONNX, driven through the engine's own WorkerHost and
 * worker (same thread model, same feed/output handling), so that it differs from the engine only in the graph.
 * The route plan has no conditions: the graph's only input is `pixels`.
 */
export async function startSingleRouteHost(
  graphPath: string,
  task: string,
  spec: Readonly<TaskSpec>,
  stitchId: number,
  sessionOptions: InferenceSession.SessionOptions,
  logger: EngineLogger,
): Promise<WorkerHost> {
  const { host } = await WorkerHost.start(
    () => ({
      type: 'init',
      graphPath,
      device: 'cpu',
      sessionOptions,
      fallbackOptions: null,
      plan: {
        input: 'pixels',
        conditions: [],
        tasks: { [task]: { condition: `${task}.none`, outputs: [...spec.outputs], height: spec.input.height, width: spec.input.width } },
        stitches: [{ id: stitchId, slots: [] }],
      },
    }),
    logger,
  );
  return host;
}
