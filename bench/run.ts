// `npm run bench [-- store|events|identity|identity-crypto|image|network]`: prints each figure with its ratio to the reference named in the issues.
import { benchEvents } from './events.js'
import { benchIdentity } from './identity.js'
import { benchIdentityCrypto } from './identity-crypto.js'
import { benchImage } from './image.js'
import { benchNetwork } from './network.js'
import { type Figure, report } from './report.js'
import { benchStore } from './store.js'

const suites: Record<string, () => Promise<Figure[]>> = {
  events: benchEvents,
  store: benchStore,
  'identity-crypto': benchIdentityCrypto,
  identity: benchIdentity,
  image: benchImage,
  network: benchNetwork,
}
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !(name in suites))
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`)
  process.exit(2)
}

let allMet = true
for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue
  console.log(`# ${name}`)
  for (const figure of await suite()) allMet = report(figure) && allMet
}
console.log(allMet ? 'all goals met' : 'some goals NOT met')
