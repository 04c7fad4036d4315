import { useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { InputPicture } from '../lib/inputs-form.js';
import { defaultBrush, exportMask, hasPaint, invertMask } from '../lib/mask.js';
import '../inputs.css';

const TINT = 'rgb(255, 0, 102)';
const UNDO_DEPTH = 20;

/**
 * A brush over `picture` that paints the area to make again. The canvas has the picture's own pixel
 * size, so the exported mask matches it pixel for pixel whatever size it is shown at. Keyboard: arrow
 * keys move the brush, Space or Enter paints there, [ and ] change its size, E toggles erase, Ctrl+Z
 * undoes.
 */
export function MaskEditor({
  picture,
  busy = false,
  saveLabel = 'Use this mask',
  onSave,
  onCancel,
}: {
  picture: InputPicture;
  busy?: boolean;
  saveLabel?: string;
  onSave: (mask: Blob) => void;
  onCancel: () => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const id = useId();
  const [size, setSize] = useState(() => defaultBrush(picture.width, picture.height));
  const [erase, setErase] = useState(false);
  const [cursor, setCursor] = useState({ x: picture.width / 2, y: picture.height / 2 });
  const [problem, setProblem] = useState<string | null>(null);
  const undo = useRef<ImageData[]>([]);
  const [undoCount, setUndoCount] = useState(0);
  const last = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => {
    undo.current = [];
    setUndoCount(0);
    canvas.current?.getContext('2d')?.clearRect(0, 0, picture.width, picture.height);
  }, [picture]);

  const ctx = () => canvas.current!.getContext('2d')!;
  const snapshot = () => {
    undo.current = [...undo.current.slice(-(UNDO_DEPTH - 1)), ctx().getImageData(0, 0, picture.width, picture.height)];
    setUndoCount(undo.current.length);
    setProblem(null);
  };
  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const c = ctx();
    c.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    c.strokeStyle = TINT;
    c.lineWidth = size;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
  };
  const at = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * picture.width,
      y: ((event.clientY - box.top) / box.height) * picture.height,
    };
  };
  const undoLast = () => {
    const previous = undo.current.pop();
    if (previous) ctx().putImageData(previous, 0, 0);
    setUndoCount(undo.current.length);
  };
  const maxSize = Math.max(16, Math.round(Math.max(picture.width, picture.height) / 3));

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const step = Math.max(4, Math.round(size / 2));
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const next = {
        x: Math.min(picture.width, Math.max(0, cursor.x + move[0])),
        y: Math.min(picture.height, Math.max(0, cursor.y + move[1])),
      };
      // Shift + arrow paints along the way.
      if (event.shiftKey) stroke(cursor, next);
      setCursor(next);
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      snapshot();
      stroke(cursor, cursor);
    } else if (event.key === '[' || event.key === ']') {
      setSize((current) => Math.min(maxSize, Math.max(2, current + (event.key === ']' ? 4 : -4))));
    } else if (event.key.toLowerCase() === 'e') {
      setErase((current) => !current);
    } else if (event.key.toLowerCase() === 'z' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      undoLast();
    }
  };

  const save = async () => {
    if (!hasPaint(canvas.current!)) {
      setProblem('Paint the area to change first: nothing is painted yet.');
      return;
    }
    onSave(await exportMask(canvas.current!));
  };

  return (
    <section className="mask-editor" aria-labelledby={`${id}-title`} data-testid="mask-editor">
      <h3 id={`${id}-title`}>Paint the area to change</h3>
      <p className="hint" id={`${id}-help`}>
        Painted = made again, the rest is kept. Keyboard: arrow keys move the brush (Shift paints along), Space paints,
        [ and ] size, E erase, Ctrl+Z undo.
      </p>
      <div className="mask-stage" style={{ aspectRatio: `${picture.width} / ${picture.height}` }}>
        <img src={picture.url} alt={picture.name} width={picture.width} height={picture.height} />
        <canvas
          ref={canvas}
          width={picture.width}
          height={picture.height}
          tabIndex={0}
          role="img"
          aria-label={`Mask over ${picture.name}`}
          aria-describedby={`${id}-help`}
          data-testid="mask-canvas"
          onKeyDown={onKeyDown}
          onPointerDown={(event) => {
            event.currentTarget.setPointerCapture(event.pointerId);
            snapshot();
            const point = at(event);
            stroke(point, point);
            last.current = point;
            setCursor(point);
          }}
          onPointerMove={(event) => {
            if (!last.current) return;
            const point = at(event);
            stroke(last.current, point);
            last.current = point;
          }}
          onPointerUp={() => (last.current = null)}
          onPointerCancel={() => (last.current = null)}
        />
        <span
          className="mask-cursor"
          aria-hidden="true"
          style={{
            left: `${(cursor.x / picture.width) * 100}%`,
            top: `${(cursor.y / picture.height) * 100}%`,
            width: `${(size / picture.width) * 100}%`,
            aspectRatio: '1',
          }}
        />
      </div>
      <div className="mask-tools">
        <label htmlFor={`${id}-size`}>
          Brush size <output htmlFor={`${id}-size`}>{size} px</output>
        </label>
        <input
          id={`${id}-size`}
          type="range"
          min={2}
          max={maxSize}
          value={size}
          onChange={(event) => setSize(Number(event.target.value))}
        />
        <button type="button" aria-pressed={erase} onClick={() => setErase((current) => !current)}>
          Erase
        </button>
        <button
          type="button"
          onClick={() => {
            snapshot();
            invertMask(canvas.current!, TINT);
          }}
        >
          Invert
        </button>
        <button
          type="button"
          onClick={() => {
            snapshot();
            ctx().clearRect(0, 0, picture.width, picture.height);
          }}
        >
          Clear
        </button>
        <button type="button" onClick={undoLast} disabled={undoCount === 0}>
          Undo
        </button>
      </div>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="mask-actions">
        <button type="button" className="primary" onClick={() => void save()} disabled={busy} aria-busy={busy}>
          {busy ? 'Saving the mask…' : saveLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
