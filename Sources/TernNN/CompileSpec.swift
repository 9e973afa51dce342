import TernTensor
import TernSupport

/// How to train: optimizer, loss and metrics (Keras `compile`).
public struct CompileSpec: Codable, Equatable, Sendable {
    public var optimizer: OptimizerSpec
    public var loss: Loss
    public var metrics: [String]

    public init(optimizer: OptimizerSpec, loss: Loss, metrics: [String] = []) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        try c.rejectUnknownKeys(["optimizer", "loss", "metrics"], context: "compile")
        optimizer = try c.value("optimizer") ?? OptimizerSpec(type: "adam")
        guard let loss: Loss = try c.value("loss") else { throw NNError.invalidConfiguration("compile needs 'loss'") }
        self.loss = loss
        metrics = try c.value("metrics") ?? []
        for m in metrics where !Metrics.known.contains(m) {
            throw NNError.invalidConfiguration("unknown metric '\(m)' (known: \(Metrics.known.sorted().joined(separator: ", ")))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(optimizer, forKey: JSONKey("optimizer"))
        try c.encode(loss, forKey: JSONKey("loss"))
        try c.encode(metrics, forKey: JSONKey("metrics"))
    }
}

/// An optimizer by name with optional hyperparameters: `"adam"` or
/// `{"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": true}`.
/// `learning_rate` may be a schedule:
/// `{"type": "cosine", "initial_learning_rate": 0.01, "decay_steps": 1000, "alpha": 0}`.
public struct OptimizerSpec: Codable, Equatable, Sendable {
    public var type: String
    public var learningRate: LearningRate?
    public var options: [String: Double]

    static let allowed: [String: Set<String>] = [
        "adam": ["beta_1", "beta_2", "epsilon"],
        "adamw": ["beta_1", "beta_2", "epsilon", "weight_decay"],
        "sgd": ["momentum", "nesterov"],
        "rmsprop": ["rho", "momentum", "epsilon", "centered"],
    ]

    public init(type: String, learningRate: LearningRate? = nil, options: [String: Double] = [:]) {
        self.type = type
        self.learningRate = learningRate
        self.options = options
    }

    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            guard OptimizerSpec.allowed[name.lowercased()] != nil else { throw OptimizerSpec.unknown(name) }
            self.init(type: name.lowercased())
            return
        }
        let c = try decoder.container(keyedBy: JSONKey.self)
        guard let rawType: String = try c.value("type") else { throw NNError.invalidConfiguration("optimizer needs 'type'") }
        let type = rawType.lowercased()
        guard let extra = OptimizerSpec.allowed[type] else { throw OptimizerSpec.unknown(rawType) }
        try c.rejectUnknownKeys(extra.union(["type", "learning_rate"]), context: "optimizer '\(type)'")
        var options: [String: Double] = [:]
        for key in extra {
            if let b = try? c.value(key, as: Bool.self) { options[key] = b ? 1 : 0 }
            else if let v: Double = try c.value(key) { options[key] = v }
        }
        self.init(type: type, learningRate: try c.value("learning_rate", as: LearningRateSpec.self)?.rate, options: options)
    }

    static func unknown(_ type: String) -> NNError {
        .invalidConfiguration("unknown optimizer '\(type)' (known: \(allowed.keys.sorted().joined(separator: ", ")))")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(type, forKey: JSONKey("type"))
        if let learningRate { try c.encode(LearningRateSpec(rate: learningRate), forKey: JSONKey("learning_rate")) }
        for (k, v) in options.sorted(by: { $0.key < $1.key }) { try c.encode(v, forKey: JSONKey(k)) }
    }

    /// A fresh optimizer with Keras defaults for anything not given.
    public func makeOptimizer() throws -> any Optimizer {
        func f(_ key: String) -> Float? { options[key].map(Float.init) }
        switch type {
        case "adam", "adamw":
            var c = Adam.Configuration()
            if type == "adamw" { c.weightDecay = f("weight_decay") ?? 0.004 }
            c.learningRate = learningRate ?? c.learningRate
            c.beta1 = f("beta_1") ?? c.beta1
            c.beta2 = f("beta_2") ?? c.beta2
            c.epsilon = f("epsilon") ?? c.epsilon
            return Adam(c)
        case "sgd":
            var c = SGD.Configuration()
            c.learningRate = learningRate ?? c.learningRate
            c.momentum = f("momentum") ?? 0
            c.nesterov = (options["nesterov"] ?? 0) != 0
            return SGD(c)
        case "rmsprop":
            var c = RMSprop.Configuration()
            c.learningRate = learningRate ?? c.learningRate
            c.rho = f("rho") ?? c.rho
            c.momentum = f("momentum") ?? 0
            c.epsilon = f("epsilon") ?? c.epsilon
            c.centered = (options["centered"] ?? 0) != 0
            return RMSprop(c)
        default:
            throw OptimizerSpec.unknown(type)
        }
    }
}

/// JSON form of ``LearningRate``: a number or a schedule object.
struct LearningRateSpec: Codable {
    var rate: LearningRate

    init(rate: LearningRate) { self.rate = rate }

    init(from decoder: any Decoder) throws {
        if let v = try? decoder.singleValueContainer().decode(Float.self) {
            guard v > 0, v.isFinite else { throw NNError.invalidConfiguration("learning_rate must be positive") }
            rate = .constant(v)
            return
        }
        let c = try decoder.container(keyedBy: JSONKey.self)
        let type: String = try c.value("type") ?? ""
        try c.rejectUnknownKeys(["type", "initial_learning_rate", "decay_steps", "decay_rate", "alpha"], context: "learning-rate schedule")
        guard let initial: Float = try c.value("initial_learning_rate"), initial > 0 else {
            throw NNError.invalidConfiguration("learning-rate schedule needs a positive 'initial_learning_rate'")
        }
        guard let steps: Int = try c.value("decay_steps"), steps > 0 else {
            throw NNError.invalidConfiguration("learning-rate schedule needs a positive 'decay_steps'")
        }
        switch type {
        case "step", "exponential":
            guard let r: Float = try c.value("decay_rate"), r > 0 else {
                throw NNError.invalidConfiguration("'\(type)' schedule needs a positive 'decay_rate'")
            }
            rate = type == "step" ? .step(initial: initial, decaySteps: steps, decayRate: r)
                : .exponential(initial: initial, decaySteps: steps, decayRate: r)
        case "cosine":
            rate = .cosine(initial: initial, decaySteps: steps, alpha: try c.value("alpha") ?? 0)
        default:
            throw NNError.invalidConfiguration("unknown learning-rate schedule '\(type)' (known: step, exponential, cosine)")
        }
    }

    func encode(to encoder: any Encoder) throws {
        if case let .constant(v) = rate {
            var s = encoder.singleValueContainer()
            try s.encode(v)
            return
        }
        var c = encoder.container(keyedBy: JSONKey.self)
        switch rate {
        case .constant:
            break
        case let .step(i, n, r), let .exponential(i, n, r):
            try c.encode(rate == .step(initial: i, decaySteps: n, decayRate: r) ? "step" : "exponential", forKey: JSONKey("type"))
            try c.encode(i, forKey: JSONKey("initial_learning_rate"))
            try c.encode(n, forKey: JSONKey("decay_steps"))
            try c.encode(r, forKey: JSONKey("decay_rate"))
        case let .cosine(i, n, a):
            try c.encode("cosine", forKey: JSONKey("type"))
            try c.encode(i, forKey: JSONKey("initial_learning_rate"))
            try c.encode(n, forKey: JSONKey("decay_steps"))
            try c.encode(a, forKey: JSONKey("alpha"))
        }
    }
}
