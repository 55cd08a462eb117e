#!/usr/bin/env node
// A real Wechaty puppet-service peer for tiaojie's gateway tests, on loopback only.
//
// It hosts wechaty-puppet-mock behind wechaty-puppet-service's gRPC server (plaintext: the
// Python client speaks no TLS) and plays one WeChat work group: a grid worker, a merchant,
// a bureau staff member and the bot itself. A small HTTP control channel on 127.0.0.1 lets
// a test make members speak, read back what the bot sent, and take the gRPC service away
// and bring it back.
//
// Usage: node peer.js --grpc-port PORT --token TOKEN [--control-port PORT]
// When both servers listen, one JSON line goes to stdout:
//   {"event":"listening","grpc_port":...,"control_port":...}
// Everything else (logs) goes to stderr.
//
// Control channel (JSON over HTTP):
//   GET  /state            service state, bot, room and members
//   POST /say              {"talker_id", "text", "mention_ids"?: [...], "direct"?: bool}
//   POST /join             {"id", "name"}: a new contact joins the room, invited by staff
//   GET  /sent             everything the bot sent: text, mention ids, file name and size
//   POST /service/stop     close the gRPC service (the mock puppet and its state stay)
//   POST /service/start    open it again on the same port; {"token"?} with another token
//   POST /send/delay       {"echo_after", "respond_after", "count"?: 1}: the next `count`
//                          text sends are delivered (the echo goes out) after echo_after
//                          seconds and answered after respond_after seconds, as a peer
//                          that freezes after taking a message does

import http from 'node:http'
import process from 'node:process'

import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

const ROOM = { id: 'huxi-group@chatroom', topic: '湖西街道消费维权信息共享工作群' }
const BOT = { id: 'tiaojie-bot', name: '调解助手', role: 'bot' }
const MEMBERS = [
  BOT,
  { id: 'grid-li', name: '网格员小李', role: 'grid_worker' },
  { id: 'merchant-zhang', name: '张记饺子馆老板', role: 'merchant' },
  { id: 'staff-wang', name: '监管所王科长', role: 'staff' },
]

function sleep (seconds) {
  return new Promise(resolve => setTimeout(resolve, seconds * 1000))
}

function parseArgs (argv) {
  const options = { grpcPort: 0, token: '', controlPort: 0 }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (value === undefined) throw new Error(`missing value for ${flag}`)
    if (flag === '--grpc-port') options.grpcPort = Number(value)
    else if (flag === '--token') options.token = value
    else if (flag === '--control-port') options.controlPort = Number(value)
    else throw new Error(`unknown option ${flag}`)
  }
  if (!options.grpcPort || !options.token) {
    throw new Error('usage: node peer.js --grpc-port PORT --token TOKEN [--control-port PORT]')
  }
  return options
}

// The mock calls an environment on every puppet start, and the puppet-service client
// stops and starts the puppet on every connect: create what is missing, nothing twice.
function groupEnvironment (mocker) {
  for (const member of MEMBERS) {
    if (!mocker.cacheContactPayload.has(member.id)) {
      mocker.createContact({ id: member.id, name: member.name, alias: undefined })
    }
  }
  if (!mocker.cacheRoomPayload.has(ROOM.id)) {
    mocker.createRoom({
      id: ROOM.id,
      topic: ROOM.topic,
      memberIdList: MEMBERS.map(member => member.id),
      ownerId: 'staff-wang',
      adminIdList: ['staff-wang'],
    })
  }
  const puppet = mocker.puppet
  if (!puppet.isLoggedIn) {
    mocker.login(mocker.ContactMock.load(BOT.id))
  }
  // wechaty-puppet-mock never announces readiness on its own.
  puppet.emit('ready', { data: 'ready' })
  return () => {}
}

// The mock's send methods return no message id and drop mention ids; record both, so the
// test can read back exactly what the bot sent, and answer with the id of the echo.
class RecordingPuppetMock extends PuppetMock {
  constructor (options) {
    super(options)
    this.sent = []
    this.delays = []
  }

  async messageSendText (conversationId, text, mentionIdList = []) {
    const delay = this.delays.shift()
    if (delay) await sleep(delay.echoAfter)
    const messageId = this.sayAsBot(conversationId, text, mentionIdList)
    this.record({ kind: 'text', conversation_id: conversationId, message_id: messageId, text, mention_ids: [...mentionIdList] })
    if (delay) await sleep(Math.max(0, delay.respondAfter - delay.echoAfter))
    return messageId
  }

  delaySends ({ echo_after: echoAfter = 0, respond_after: respondAfter = 0, count = 1 }) {
    for (let i = 0; i < count; i++) this.delays.push({ echoAfter, respondAfter })
    return { ok: true }
  }

  async messageSendFile (conversationId, fileBox) {
    const buffer = await fileBox.toBuffer()
    const messageId = this.sayAsBot(conversationId, fileBox, [])
    this.record({
      kind: 'file',
      conversation_id: conversationId,
      message_id: messageId,
      file_name: fileBox.name,
      file_size: buffer.length,
      media_type: fileBox.mediaType,
    })
    return messageId
  }

  record (entry) {
    this.sent.push({ seq: this.sent.length + 1, ...entry })
  }

  sayAsBot (conversationId, something, mentionIdList) {
    if (!this.isLoggedIn) throw new Error('not logged in')
    const { ContactMock, RoomMock } = this.mocker
    const bot = ContactMock.load(this.currentUserId)
    const conversation = conversationId.includes('@')
      ? RoomMock.load(conversationId)
      : ContactMock.load(conversationId)
    const mentions = mentionIdList.map(id => ContactMock.load(id))
    bot.say(something, mentions).to(conversation)
    // say() stores the new message synchronously; it is the newest one.
    return [...this.mocker.cacheMessagePayload.keys()].at(-1)
  }
}

class Peer {
  constructor ({ grpcPort, token }) {
    this.grpcPort = grpcPort
    this.token = token
    this.mocker = new mock.Mocker()
    this.mocker.use(groupEnvironment)
    this.puppet = new RecordingPuppetMock({ mocker: this.mocker })
    this.server = undefined
  }

  async startService ({ token } = {}) {
    if (this.server) return
    if (token) this.token = token
    const server = new PuppetServer({
      endpoint: `127.0.0.1:${this.grpcPort}`,
      puppet: this.puppet,
      token: this.token,
      tls: { disable: true },
    })
    await server.start()
    this.server = server
  }

  async stopService () {
    if (!this.server) return
    const server = this.server
    this.server = undefined
    await server.stop()
  }

  state () {
    return {
      service_running: Boolean(this.server),
      logged_in: this.puppet.isLoggedIn,
      bot: BOT,
      room: ROOM,
      members: MEMBERS,
    }
  }

  say ({ talker_id: talkerId, text, mention_ids: mentionIds = [], direct = false }) {
    const { ContactMock, RoomMock } = this.mocker
    const talker = ContactMock.load(talkerId)
    const conversation = direct ? ContactMock.load(BOT.id) : RoomMock.load(ROOM.id)
    const mentions = mentionIds.map(id => ContactMock.load(id))
    talker.say(text, mentions).to(conversation)
    return { message_id: [...this.mocker.cacheMessagePayload.keys()].at(-1) }
  }

  join ({ id, name }) {
    const { ContactMock, RoomMock } = this.mocker
    if (!this.mocker.cacheContactPayload.has(id)) {
      this.mocker.createContact({ id, name, alias: undefined })
    }
    RoomMock.load(ROOM.id).add(ContactMock.load(id)).by(ContactMock.load('staff-wang'))
    return { ok: true }
  }
}

function readJson (request) {
  return new Promise((resolve, reject) => {
    const chunks = []
    request.on('data', chunk => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(body ? JSON.parse(body) : {})
      } catch (error) {
        reject(error)
      }
    })
    request.on('error', reject)
  })
}

function controlServer (peer) {
  const routes = {
    'GET /state': () => peer.state(),
    'GET /sent': () => ({ messages: peer.puppet.sent }),
    'POST /say': body => peer.say(body),
    'POST /join': body => peer.join(body),
    'POST /service/stop': async () => { await peer.stopService(); return peer.state() },
    'POST /service/start': async body => { await peer.startService(body); return peer.state() },
    'POST /send/delay': body => peer.puppet.delaySends(body),
  }
  return http.createServer(async (request, response) => {
    const route = routes[`${request.method} ${request.url.split('?')[0]}`]
    let status = 200
    let result
    try {
      if (!route) {
        status = 404
        result = { error: `no route ${request.method} ${request.url}` }
      } else {
        result = await route(await readJson(request))
      }
    } catch (error) {
      status = 400
      result = { error: String(error && error.message ? error.message : error) }
    }
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    response.end(JSON.stringify(result))
  })
}

async function main () {
  const options = parseArgs(process.argv.slice(2))
  const peer = new Peer(options)
  await peer.startService()

  const control = controlServer(peer)
  await new Promise((resolve, reject) => {
    control.once('error', reject)
    control.listen(options.controlPort, '127.0.0.1', resolve)
  })

  const shutdown = async () => {
    control.close()
    await peer.stopService().catch(() => {})
    process.exit(0)
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)

  process.stdout.write(JSON.stringify({
    event: 'listening',
    grpc_port: options.grpcPort,
    control_port: control.address().port,
  }) + '\n')
}

main().catch(error => {
  console.error(error)
  process.exit(1)
})
