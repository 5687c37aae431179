/** Event ids: node slot s allocates only ids ≡ s (mod stride), so nodes never collide (store NODE_SLOTS nodes at most). */
export { NODE_SLOTS as NODE_SLOTS_STRIDE } from '../../store/clusterRepo.js';
