import { defineConfig } from 'tsup'

export default defineConfig({
  // One entry per subpath export; the keys are the paths under dist/ that package.json points at.
  entry: {
    'local/index': 'src/local/index.ts',
    'ceph/index': 'src/ceph/index.ts',
    'vxlan/index': 'src/vxlan/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
})
