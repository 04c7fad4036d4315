/**
 * Touch on the image view: a horizontal swipe steps to the next or previous image, two fingers pinch
 * the image between 1x and 4x. Touch events rather than pointer events because a pinch needs both
 * fingers at once, which `TouchEvent.touches` gives in one place.
 */
import { useEffect, useRef, useState, type RefObject } from 'react';

const SWIPE_MIN_PX = 50;
const MAX_SCALE = 4;

const distance = (touches: TouchList) =>
  Math.hypot(touches[0]!.clientX - touches[1]!.clientX, touches[0]!.clientY - touches[1]!.clientY);

/** The current zoom (1 when not zoomed); `onSwipe(+1 | -1)` when a finger swipes left or right. */
export function useTouchGestures(target: RefObject<HTMLElement | null>, onSwipe: (step: 1 | -1) => void): number {
  const [scale, setScale] = useState(1);
  const swipe = useRef(onSwipe);
  swipe.current = onSwipe;
  const zoom = useRef(1);
  zoom.current = scale;

  useEffect(() => {
    const element = target.current;
    if (!element) return;
    let start: { x: number; y: number } | null = null;
    let pinch: { distance: number; scale: number } | null = null;
    const onStart = (event: TouchEvent) => {
      if (event.touches.length === 2) {
        pinch = { distance: distance(event.touches), scale: zoom.current };
        start = null;
      } else if (event.touches.length === 1 && !pinch) {
        start = { x: event.touches[0]!.clientX, y: event.touches[0]!.clientY };
      }
    };
    const onMove = (event: TouchEvent) => {
      if (pinch && event.touches.length === 2) {
        event.preventDefault();
        const next = (pinch.scale * distance(event.touches)) / pinch.distance;
        setScale(Math.min(MAX_SCALE, Math.max(1, next)));
      }
    };
    const onEnd = (event: TouchEvent) => {
      if (pinch) {
        if (event.touches.length === 0) pinch = null;
        return;
      }
      const touch = event.changedTouches[0];
      if (!start || !touch) return;
      const dx = touch.clientX - start.x;
      const dy = touch.clientY - start.y;
      start = null;
      // A zoomed image pans under the finger instead of stepping away.
      if (zoom.current > 1 || Math.abs(dx) < SWIPE_MIN_PX || Math.abs(dx) < Math.abs(dy)) return;
      swipe.current(dx < 0 ? 1 : -1);
    };
    element.addEventListener('touchstart', onStart, { passive: true });
    element.addEventListener('touchmove', onMove, { passive: false });
    element.addEventListener('touchend', onEnd, { passive: true });
    element.addEventListener('touchcancel', onEnd, { passive: true });
    return () => {
      element.removeEventListener('touchstart', onStart);
      element.removeEventListener('touchmove', onMove);
      element.removeEventListener('touchend', onEnd);
      element.removeEventListener('touchcancel', onEnd);
    };
  }, [target]);
  return scale;
}
