"""Independent reference values for the backpropagation seed sheets.

Every numeric problem in the five seed sheets is worked out here by explicit
scalar chain-rule code using only the ``math`` module.  Each ``pNNN_*``
function takes the problem's givens as keyword arguments (defaults are the
sheet's givens) and returns a dict of named values at full float precision.
Vectors are lists, matrices are lists of rows.

``SHEET_ERRORS`` lists every value a sheet wrote wrongly, ``SHEET_CHECKS``
reproduces wrong sheet values from the sheet's own (rounded or wrong)
intermediates, ``SHEET_CONFIRMED`` lists sheet values that are right to the
printed precision, and ``SHEET_NOTES`` records non-numeric remarks.

Seed 003 Q2 (f = tanh(x1/x2) + sigmoid(x1)) is purely symbolic: the sheet
gives no numbers, so there is no numeric function for it.

Run ``python3 tests/independent_seeds.py`` to print all values and to check
every gradient against a central finite difference of the same loss.
"""

import inspect
import math
import re


def sigmoid(s):
    """Logistic function 1 / (1 + e^-s)."""
    return 1.0 / (1.0 + math.exp(-s))


def relu(s):
    """max(0, s)."""
    return s if s > 0.0 else 0.0


def relu_prime(s):
    """Derivative of relu, taken as 0 at s <= 0."""
    return 1.0 if s > 0.0 else 0.0


# ---------------------------------------------------------------------------
# Seed 000 (ECE421 homework 6)
# ---------------------------------------------------------------------------

def p000_q1(W1=((0.1, 0.2), (0.3, 0.4)), W2=(0.2, 1.0, -3.0), W3=(1.0, 2.0),
            x=2.0, y=1.0):
    """Learning-From-Data convention, tanh in every layer including the output.

    x^(l) = [1, tanh(s^(l))], s^(l)_j = sum_i W^(l)_{i,j} x^(l-1)_i with the
    bias in row i = 0; W1[i][j-1] is W^(1)_{i,j}, W2[i] is W^(2)_{i,1},
    W3[i] is W^(3)_{i,1}.  e = (x^(3) - y)^2, delta^(l) = de/ds^(l),
    dE/dW^(l) = x^(l-1) delta^(l)^T.
    """
    x0 = [1.0, x]
    s1 = [x0[0] * W1[0][0] + x0[1] * W1[1][0],
          x0[0] * W1[0][1] + x0[1] * W1[1][1]]
    x1 = [1.0, math.tanh(s1[0]), math.tanh(s1[1])]
    s2 = W2[0] * x1[0] + W2[1] * x1[1] + W2[2] * x1[2]
    x2 = [1.0, math.tanh(s2)]
    s3 = W3[0] * x2[0] + W3[1] * x2[1]
    x3 = math.tanh(s3)
    e = (x3 - y) ** 2

    delta3 = 2.0 * (x3 - y) * (1.0 - x3 ** 2)
    W3_delta3 = [W3[0] * delta3, W3[1] * delta3]
    theta_prime_s2 = 1.0 - x2[1] ** 2
    delta2 = theta_prime_s2 * W3_delta3[1]
    W2_delta2 = [W2[0] * delta2, W2[1] * delta2, W2[2] * delta2]
    theta_prime_s1 = [1.0 - x1[1] ** 2, 1.0 - x1[2] ** 2]
    delta1 = [theta_prime_s1[0] * W2_delta2[1],
              theta_prime_s1[1] * W2_delta2[2]]

    dE_dW1 = [[x0[0] * delta1[0], x0[0] * delta1[1]],
              [x0[1] * delta1[0], x0[1] * delta1[1]]]
    dE_dW2 = [x1[0] * delta2, x1[1] * delta2, x1[2] * delta2]
    dE_dW3 = [x2[0] * delta3, x2[1] * delta3]
    return {
        "s1": s1, "x1": x1, "s2": s2, "x2": x2, "s3": s3, "x3": x3, "e": e,
        "delta3": delta3, "W3_delta3": W3_delta3,
        "theta_prime_s2": theta_prime_s2, "delta2": delta2,
        "W2_delta2": W2_delta2, "theta_prime_s1": theta_prime_s1,
        "delta1": delta1,
        "dE_dW1": dE_dW1, "dE_dW2": dE_dW2, "dE_dW3": dE_dW3,
    }


def p000_q2e(w=1.0, v=1.0, x0=(1.0, 1.0, 1.0), y=1.0):
    """Shared-weight net with relu (the sheet writes gamma for v).

    x^(1)_i = relu(w x^(0)_i), x^(2)_2 = x^(1)_2 + v x^(1)_1,
    yhat = x^(2)_3 = x^(1)_3 + v x^(2)_2, e = (yhat - y)^2.
    Index i = 1..3 of the sheet is list index 0..2.
    """
    s = [w * x0[0], w * x0[1], w * x0[2]]
    x1 = [relu(s[0]), relu(s[1]), relu(s[2])]
    x2_2 = x1[1] + v * x1[0]
    yhat = x1[2] + v * x2_2
    e = (yhat - y) ** 2

    de_dyhat = 2.0 * (yhat - y)
    de_dx2_2 = de_dyhat * v
    de_dx1 = [de_dx2_2 * v, de_dx2_2 * 1.0, de_dyhat * 1.0]
    de_dv = de_dyhat * x2_2 + de_dx2_2 * x1[0]
    de_ds = [de_dx1[i] * relu_prime(s[i]) for i in range(3)]
    de_dw = de_ds[0] * x0[0] + de_ds[1] * x0[1] + de_ds[2] * x0[2]
    de_dx0 = [de_ds[0] * w, de_ds[1] * w, de_ds[2] * w]
    return {
        "x1": x1, "x2_2": x2_2, "yhat": yhat, "e": e,
        "de_dyhat": de_dyhat, "de_dx2_2": de_dx2_2, "de_dx1": de_dx1,
        "de_dx0": de_dx0, "de_dv": de_dv, "de_dw": de_dw,
    }


# ---------------------------------------------------------------------------
# Seed 001 (4-4-3-3 network, all parameters 0.1)
# ---------------------------------------------------------------------------

def _const(rows, cols, value):
    return tuple(tuple(value for _ in range(cols)) for _ in range(rows))


def _p001_net(W1, b1, W2, b2, W3, b3, x, y, lr, output):
    """Forward and backward pass of the 4-4-3-3 tanh net for one output type."""
    z1 = [sum(W1[j][k] * x[k] for k in range(4)) + b1[j] for j in range(4)]
    h1 = [math.tanh(z) for z in z1]
    z2 = [sum(W2[j][k] * h1[k] for k in range(4)) + b2[j] for j in range(3)]
    h2 = [math.tanh(z) for z in z2]
    z3 = [sum(W3[j][k] * h2[k] for k in range(3)) + b3[j] for j in range(3)]

    out = {"z1": z1, "h1": h1, "z2": z2, "h2": h2, "z3": z3}
    if output == "identity":
        yhat = list(z3)
        loss = 0.5 * sum((yhat[i] - y[i]) ** 2 for i in range(3))
        dL_dyhat = [yhat[i] - y[i] for i in range(3)]
        dL_dz3 = [dL_dyhat[i] * 1.0 for i in range(3)]
        out["dL_dyhat"] = dL_dyhat
    else:
        m = max(z3)
        exps = [math.exp(z - m) for z in z3]
        total = sum(exps)
        yhat = [ez / total for ez in exps]
        loss = -sum(y[i] * math.log(yhat[i]) for i in range(3))
        dL_dz3 = [yhat[i] - y[i] for i in range(3)]
    out.update({"h3": yhat, "yhat": yhat, "loss": loss, "dL_dz3": dL_dz3})

    dL_dW3 = [[dL_dz3[i] * h2[j] for j in range(3)] for i in range(3)]
    dL_db3 = list(dL_dz3)
    dL_dh2 = [sum(W3[i][j] * dL_dz3[i] for i in range(3)) for j in range(3)]
    dL_dz2 = [dL_dh2[j] * (1.0 - h2[j] ** 2) for j in range(3)]
    dL_dW2 = [[dL_dz2[i] * h1[j] for j in range(4)] for i in range(3)]
    dL_db2 = list(dL_dz2)
    dL_dh1 = [sum(W2[i][j] * dL_dz2[i] for i in range(3)) for j in range(4)]
    dL_dz1 = [dL_dh1[j] * (1.0 - h1[j] ** 2) for j in range(4)]
    dL_dW1 = [[dL_dz1[i] * x[j] for j in range(4)] for i in range(4)]
    dL_db1 = list(dL_dz1)

    def step(P, G):
        return [[P[i][j] - lr * G[i][j] for j in range(len(P[0]))]
                for i in range(len(P))]

    out.update({
        "dL_dW3": dL_dW3, "dL_db3": dL_db3, "dL_dh2": dL_dh2,
        "dL_dz2": dL_dz2, "dL_dW2": dL_dW2, "dL_db2": dL_db2,
        "dL_dh1": dL_dh1, "dL_dz1": dL_dz1, "dL_dW1": dL_dW1,
        "dL_db1": dL_db1,
        "W1_new": step(W1, dL_dW1),
        "b1_new": [b1[i] - lr * dL_db1[i] for i in range(4)],
        "W2_new": step(W2, dL_dW2),
        "b2_new": [b2[i] - lr * dL_db2[i] for i in range(3)],
        "W3_new": step(W3, dL_dW3),
        "b3_new": [b3[i] - lr * dL_db3[i] for i in range(3)],
    })
    return out


def p001_q1(W1=_const(4, 4, 0.1), b1=(0.1,) * 4, W2=_const(3, 4, 0.1),
            b2=(0.1,) * 3, W3=_const(3, 3, 0.1), b3=(0.1,) * 3,
            x=(1.0, 0.0, 1.0, 0.0), y=(0.0, 1.0, 0.0), lr=0.1):
    """z^(l) = W^(l) h^(l-1) + b^(l); tanh hidden layers, identity output.

    L = 1/2 sum_i (yhat_i - y_i)^2 (no 1/N), dL/dW^(l) = dL/dz^(l) h^(l-1)^T,
    one SGD step P <- P - lr dL/dP.
    """
    return _p001_net(W1, b1, W2, b2, W3, b3, x, y, lr, "identity")


def p001_q2(W1=_const(4, 4, 0.1), b1=(0.1,) * 4, W2=_const(3, 4, 0.1),
            b2=(0.1,) * 3, W3=_const(3, 3, 0.1), b3=(0.1,) * 3,
            x=(1.0, 0.0, 1.0, 0.0), y=(0.0, 1.0, 0.0), lr=0.1):
    """Same net as 001 Q1 with softmax output and L = -sum_k y_k ln yhat_k.

    dL/dz^(3) = softmax(z^(3)) - y; one SGD step P <- P - lr dL/dP.
    """
    return _p001_net(W1, b1, W2, b2, W3, b3, x, y, lr, "softmax")


# ---------------------------------------------------------------------------
# Seed 002 (600.482 homework 3)
# ---------------------------------------------------------------------------

def p002_q1b(W=((0.3, 0.5), (-0.2, 0.4)), X=((0.0, 2.0), (3.0, 1.0)),
             Y=((0.5, 1.0), (1.0, -1.5)), step=0.1):
    """Yhat = W X with samples as columns, L = sum of all (Y - Yhat)^2.

    dL/dYhat = -2 (Y - Yhat), dL/dW = dL/dYhat X^T, W_new = W - step dL/dW.
    """
    Yhat = [[W[i][0] * X[0][n] + W[i][1] * X[1][n] for n in range(2)]
            for i in range(2)]
    R = [[Y[i][n] - Yhat[i][n] for n in range(2)] for i in range(2)]
    L = sum(R[i][n] ** 2 for i in range(2) for n in range(2))
    dL_dYhat = [[-2.0 * R[i][n] for n in range(2)] for i in range(2)]
    dL_dW = [[dL_dYhat[i][0] * X[k][0] + dL_dYhat[i][1] * X[k][1]
              for k in range(2)] for i in range(2)]
    W_new = [[W[i][k] - step * dL_dW[i][k] for k in range(2)]
             for i in range(2)]
    return {"Yhat": Yhat, "Y_minus_Yhat": R, "L": L,
            "dL_dW": dL_dW, "W_new": W_new}


def p002_q2a():
    """Extremum of sigma'(s) = sigma(s)(1 - sigma(s)): maximum 1/4 at s = 0."""
    s = 0.0
    return {"argmax": s, "sigma_prime_max": sigmoid(s) * (1.0 - sigmoid(s))}


def p002_q2b(w1=0.25, w2=-0.11, w3=0.78, x=0.63, y=1.0):
    """yhat = sigma(w3 sigma(w2 sigma(w1 x))), L = -(y ln yhat + (1-y) ln(1-yhat)).

    s1, s2, s3 are the three sigmoid outputs (s3 = yhat).
    """
    a1 = w1 * x
    s1 = sigmoid(a1)
    a2 = w2 * s1
    s2 = sigmoid(a2)
    a3 = w3 * s2
    s3 = sigmoid(a3)
    yhat = s3
    L = -(y * math.log(yhat) + (1.0 - y) * math.log(1.0 - yhat))

    dL_dyhat = -y / yhat + (1.0 - y) / (1.0 - yhat)
    dL_da3 = dL_dyhat * s3 * (1.0 - s3)
    dL_dw3 = dL_da3 * s2
    dL_ds2 = dL_da3 * w3
    dL_da2 = dL_ds2 * s2 * (1.0 - s2)
    dL_dw2 = dL_da2 * s1
    dL_ds1 = dL_da2 * w2
    dL_da1 = dL_ds1 * s1 * (1.0 - s1)
    dL_dw1 = dL_da1 * x
    return {"s1": s1, "s2": s2, "s3": s3, "yhat": yhat, "L": L,
            "dL_dyhat": dL_dyhat, "dL_dw3": dL_dw3, "dL_dw2": dL_dw2,
            "dL_dw1": dL_dw1}


def _p002_regression(w1, w2, w3, x, y):
    a1 = w1 * x
    s1 = sigmoid(a1)
    a2 = w2 * s1
    s2 = sigmoid(a2)
    yhat = w3 * s2
    L = (y - yhat) ** 2

    dL_dyhat = -2.0 * (y - yhat)
    dL_dw3 = dL_dyhat * s2
    dL_ds2 = dL_dyhat * w3
    dL_da2 = dL_ds2 * s2 * (1.0 - s2)
    dL_dw2 = dL_da2 * s1
    dL_ds1 = dL_da2 * w2
    dL_da1 = dL_ds1 * s1 * (1.0 - s1)
    dL_dw1 = dL_da1 * x
    return {"s1": s1, "s2": s2, "yhat": yhat, "L": L, "dL_dyhat": dL_dyhat,
            "dL_dw3": dL_dw3, "dL_dw2": dL_dw2, "dL_dw1": dL_dw1}


def p002_q2_regression(w1=0.25, w2=-0.11, w3=0.78, x=0.63, y=1.0):
    """yhat = w3 sigma(w2 sigma(w1 x)), L = (y - yhat)^2, y = 1.

    The sheet calls yhat "s3".
    """
    return _p002_regression(w1, w2, w3, x, y)


def p002_q2c(w1=0.25, w2=-0.11, w3=0.78, x=0.63, y=128.0):
    """yhat = w3 sigma(w2 sigma(w1 x)), L = (y - yhat)^2, y = 128."""
    return _p002_regression(w1, w2, w3, x, y)


# ---------------------------------------------------------------------------
# Seed 003 (assignment 4)
# ---------------------------------------------------------------------------

def p003_q1(x1=0.15, x2=0.1, x3=0.05, B=0.6,
            w21_1=0.25, w12_1=0.55, w22_1=0.2, w23_1=0.1, w33_1=0.6,
            w24_1=0.05, w11_2=0.7, w31_2=0.33, w22_2=0.45, w42_2=0.8,
            t1=0.31, t2=0.27, alpha=0.5):
    """Sparse net with one shared hidden bias B; wIJ_L means w_{IJ}^{L}.

    h1 = sigma(w21_1 x2 + B), h2 = sigma(w12_1 x1 + w22_1 x2 + B),
    h3 = relu(w23_1 x2 + w33_1 x3 + B), h4 = relu(w24_1 x2 + B),
    yhat1 = w11_2 h1 + w31_2 h3, yhat2 = w22_2 h2 + w42_2 h4,
    L = 1/2 (yhat1 - t1)^2 + 1/2 (yhat2 - t2)^2, P_new = P - alpha dL/dP.
    Superscripts are layer indices, not powers.  x1, x3, w12_1, w22_1 and
    w33_1 are inferred from the sheet's substitutions (see SHEET_NOTES).
    """
    a1 = w21_1 * x2 + B
    a2 = w12_1 * x1 + w22_1 * x2 + B
    a3 = w23_1 * x2 + w33_1 * x3 + B
    a4 = w24_1 * x2 + B
    h1 = sigmoid(a1)
    h2 = sigmoid(a2)
    h3 = relu(a3)
    h4 = relu(a4)
    yhat1 = w11_2 * h1 + w31_2 * h3
    yhat2 = w22_2 * h2 + w42_2 * h4
    L = 0.5 * (yhat1 - t1) ** 2 + 0.5 * (yhat2 - t2) ** 2

    dL_dyhat1 = yhat1 - t1
    dL_dyhat2 = yhat2 - t2
    grads = {
        "w11_2": dL_dyhat1 * h1,
        "w31_2": dL_dyhat1 * h3,
        "w22_2": dL_dyhat2 * h2,
        "w42_2": dL_dyhat2 * h4,
    }
    dL_dh1 = dL_dyhat1 * w11_2
    dL_dh3 = dL_dyhat1 * w31_2
    dL_dh2 = dL_dyhat2 * w22_2
    dL_dh4 = dL_dyhat2 * w42_2
    dL_da1 = dL_dh1 * h1 * (1.0 - h1)
    dL_da2 = dL_dh2 * h2 * (1.0 - h2)
    dL_da3 = dL_dh3 * relu_prime(a3)
    dL_da4 = dL_dh4 * relu_prime(a4)
    grads.update({
        "w21_1": dL_da1 * x2,
        "w12_1": dL_da2 * x1,
        "w22_1": dL_da2 * x2,
        "w23_1": dL_da3 * x2,
        "w33_1": dL_da3 * x3,
        "w24_1": dL_da4 * x2,
        "B": dL_da1 + dL_da2 + dL_da3 + dL_da4,
    })
    params = {"w11_2": w11_2, "w31_2": w31_2, "w22_2": w22_2,
              "w42_2": w42_2, "w21_1": w21_1, "w12_1": w12_1,
              "w22_1": w22_1, "w23_1": w23_1, "w33_1": w33_1,
              "w24_1": w24_1, "B": B}

    out = {"a1": a1, "a2": a2, "a3": a3, "a4": a4,
           "h1": h1, "h2": h2, "h3": h3, "h4": h4,
           "yhat1": yhat1, "yhat2": yhat2, "L": L,
           "dL_dyhat1": dL_dyhat1, "dL_dyhat2": dL_dyhat2,
           "dL_dh1": dL_dh1, "dL_dh2": dL_dh2, "dL_dh3": dL_dh3,
           "dL_dh4": dL_dh4,
           "dL_da1": dL_da1, "dL_da2": dL_da2, "dL_da3": dL_da3,
           "dL_da4": dL_da4}
    for name, g in grads.items():
        out["dL_d" + name] = g
        out[name + "_new"] = params[name] - alpha * g
    return out


# ---------------------------------------------------------------------------
# Seed 004 (exercises 7.1 and 7.3)
# ---------------------------------------------------------------------------

def p004_ex71(W1=((0.1, 0.4), (0.2, 0.5), (0.3, 0.6)), x=(0.5, 0.2),
              b1=(0.1, 0.2, 0.3), W2=((0.7, 0.2, 0.1), (0.5, 0.3, 0.4)),
              b2=(0.1, 0.2), t=(1.0, 0.0)):
    """h = relu(W1 x + b1), y = sigmoid(W2 h + b2), natural log,

    L = -1/2 sum_i [t_i ln y_i + (1 - t_i) ln(1 - y_i)].
    Lists are 0-based: the sheet's w2(1,2) is W2[0][1], b1(2) is b1[1].
    """
    W1x = [W1[j][0] * x[0] + W1[j][1] * x[1] for j in range(3)]
    z1 = [W1x[j] + b1[j] for j in range(3)]
    h = [relu(z1[j]) for j in range(3)]
    W2h = [W2[i][0] * h[0] + W2[i][1] * h[1] + W2[i][2] * h[2]
           for i in range(2)]
    z2 = [W2h[i] + b2[i] for i in range(2)]
    y = [sigmoid(z2[i]) for i in range(2)]
    L = -0.5 * sum(t[i] * math.log(y[i]) + (1.0 - t[i]) * math.log(1.0 - y[i])
                   for i in range(2))

    dL_dy = [-0.5 * (t[i] / y[i] - (1.0 - t[i]) / (1.0 - y[i]))
             for i in range(2)]
    dy_dz2 = [y[i] * (1.0 - y[i]) for i in range(2)]
    dL_dz2 = [dL_dy[i] * dy_dz2[i] for i in range(2)]
    dL_dW2 = [[dL_dz2[i] * h[j] for j in range(3)] for i in range(2)]
    dL_db2 = list(dL_dz2)
    dL_dh = [W2[0][j] * dL_dz2[0] + W2[1][j] * dL_dz2[1] for j in range(3)]
    dL_dz1 = [dL_dh[j] * relu_prime(z1[j]) for j in range(3)]
    dL_dW1 = [[dL_dz1[j] * x[k] for k in range(2)] for j in range(3)]
    dL_db1 = list(dL_dz1)
    return {"W1x": W1x, "z1": z1, "h": h, "W2h": W2h, "z2": z2, "y": y,
            "L": L, "dL_dy": dL_dy, "dy_dz2": dy_dz2, "dL_dz2": dL_dz2,
            "dL_dW2": dL_dW2, "dL_db2": dL_db2, "dL_dh": dL_dh,
            "dL_dz1": dL_dz1, "dL_dW1": dL_dW1, "dL_db1": dL_db1}


P004_EX73_PERMUTATION = (2, 4, 3, 0, 1)

P004_EX73_SYMBOLIC = {
    "F1": "F1(x) = (x2, x4, x3, x0, x1); dL/dx = (d3, d4, d0, d2, d1)",
    "F2": "F2(x) = x0 * x; dL/dx0 = 2 x0 d0 + sum_{i>=1} d_i x_i, "
          "dL/dx_i = x0 d_i (i >= 1)",
    "F3": "F3(x) = x0 * F1(x); dL/dx0 = d0 x2 + d1 x4 + d2 x3 + 2 x0 d3 "
          "+ d4 x1, dL/dx1 = x0 d4, dL/dx2 = x0 d0, dL/dx3 = x0 d2, "
          "dL/dx4 = x0 d1",
}


def p004_ex73(x=(1.0, 2.0, 3.0, 4.0, 5.0), d=(0.1, 0.2, 0.3, 0.4, 0.5)):
    """Backprop through a permutation and products; d_i = dL/dF_i upstream.

    F1_i = x_{p(i)} with p = (2, 4, 3, 0, 1), F2_i = x0 x_i,
    F3_i = x0 x_{p(i)}.  L_k = sum_i d_i F_k(x)_i is the surrogate loss
    whose gradient is dL/dx (see P004_EX73_SYMBOLIC).
    """
    p = P004_EX73_PERMUTATION
    n = len(x)
    F1 = [x[p[i]] for i in range(n)]
    F2 = [x[0] * x[i] for i in range(n)]
    F3 = [x[0] * x[p[i]] for i in range(n)]

    dL_dx_F1 = [0.0] * n
    for i in range(n):
        dL_dx_F1[p[i]] += d[i]

    dL_dx_F2 = [0.0] * n
    for i in range(n):
        dL_dx_F2[0] += d[i] * x[i]
        dL_dx_F2[i] += d[i] * x[0]

    dL_dx_F3 = [0.0] * n
    for i in range(n):
        dL_dx_F3[0] += d[i] * x[p[i]]
        dL_dx_F3[p[i]] += d[i] * x[0]

    return {"F1": F1, "F2": F2, "F3": F3,
            "L_F1": sum(d[i] * F1[i] for i in range(n)),
            "L_F2": sum(d[i] * F2[i] for i in range(n)),
            "L_F3": sum(d[i] * F3[i] for i in range(n)),
            "dL_dx_F1": dL_dx_F1, "dL_dx_F2": dL_dx_F2,
            "dL_dx_F3": dL_dx_F3}


PROBLEMS = {
    "000 ECE421 Q1": p000_q1,
    "000 ECE421 Q2(e)": p000_q2e,
    "001 Q1": p001_q1,
    "001 Q2": p001_q2,
    "002 Q1(b)": p002_q1b,
    "002 Q2(a)": p002_q2a,
    "002 Q2(b)": p002_q2b,
    "002 Q2 regression": p002_q2_regression,
    "002 Q2(c)": p002_q2c,
    "003 Q1": p003_q1,
    "004 Ex 7.1": p004_ex71,
    "004 Ex 7.3": p004_ex73,
}

_R = {name: fn() for name, fn in PROBLEMS.items()}

_DRIFT = "rounding drift (correct if intermediates were rounded as the sheet did)"

SHEET_ERRORS = {
    "000 ECE421 Q1": [
        ("x3", -0.66, _R["000 ECE421 Q1"]["x3"], _DRIFT),
        ("theta_prime_s2", 0.81, _R["000 ECE421 Q1"]["theta_prime_s2"],
         "other: wrote x^(2)_1^2 = 0.81 instead of 1 - x^(2)_1^2; "
         "the product -0.705 does use 0.19"),
        ("delta2", -0.705, _R["000 ECE421 Q1"]["delta2"], _DRIFT),
        ("W2_delta2[0]", -0.141, _R["000 ECE421 Q1"]["W2_delta2"][0], _DRIFT),
        ("W2_delta2[1]", -0.705, _R["000 ECE421 Q1"]["W2_delta2"][1], _DRIFT),
        ("W2_delta2[2]", 2.115, _R["000 ECE421 Q1"]["W2_delta2"][2], _DRIFT),
        ("theta_prime_s1[0]", 0.64,
         _R["000 ECE421 Q1"]["theta_prime_s1"][0], _DRIFT),
        ("theta_prime_s1[1]", 0.4224,
         _R["000 ECE421 Q1"]["theta_prime_s1"][1], _DRIFT),
        ("delta1[0]", -0.4512, _R["000 ECE421 Q1"]["delta1"][0], _DRIFT),
        ("delta1[1]", 0.89676, _R["000 ECE421 Q1"]["delta1"][1],
         "arithmetic slip in one factor"),
        ("dE_dW1[0][0]", -0.45, _R["000 ECE421 Q1"]["dE_dW1"][0][0], _DRIFT),
        ("dE_dW1[0][1]", 0.89, _R["000 ECE421 Q1"]["dE_dW1"][0][1], _DRIFT),
        ("dE_dW1[1][0]", -0.90, _R["000 ECE421 Q1"]["dE_dW1"][1][0], _DRIFT),
        ("dE_dW1[1][1]", 1.78, _R["000 ECE421 Q1"]["dE_dW1"][1][1], _DRIFT),
        ("dE_dW2[0]", -0.705, _R["000 ECE421 Q1"]["dE_dW2"][0], _DRIFT),
        ("dE_dW2[1]", -0.423, _R["000 ECE421 Q1"]["dE_dW2"][1], _DRIFT),
        ("dE_dW2[2]", -0.535, _R["000 ECE421 Q1"]["dE_dW2"][2], _DRIFT),
        ("x2[1] (as printed in the dE/dW3 line)", -0.40,
         _R["000 ECE421 Q1"]["x2"][1],
         "other: typo -0.40 for -0.90; the product 1.6695 uses -0.90"),
        ("dE_dW3[1]", 1.6695, _R["000 ECE421 Q1"]["dE_dW3"][1], _DRIFT),
    ],
    "000 ECE421 Q2(e)": [
        ("yhat", 2.0, _R["000 ECE421 Q2(e)"]["yhat"],
         "other: yhat = relu(1) + 1*relu(1) + 1*relu(1) = 3, one of the three "
         "unit terms was dropped"),
        ("e", 1.0, _R["000 ECE421 Q2(e)"]["e"],
         "other: propagated from yhat = 2 ((2-1)^2 instead of (3-1)^2)"),
        ("de_dv", 4.0, _R["000 ECE421 Q2(e)"]["de_dv"],
         "other: used yhat - y = 1 (should be 2) and theta(w x2^(0)) = 0 "
         "(should be 1): 2*1*(0+2) instead of 2*2*(1+2)"),
        ("de_dw", 4.0, _R["000 ECE421 Q2(e)"]["de_dw"],
         "missing path in sum"),
    ],
    "001 Q1": [
        ("z3[0], z3[1], z3[2]", 0.16936, _R["001 Q1"]["z3"][0],
         "other: digit transposition, 0.16396 written as 0.16936 (the loss "
         "0.376 on the sheet uses the correct 0.16396)"),
    ],
    "001 Q2": [],
    "002 Q1(b)": [
        ("dL_dW[0][1]", 6.1, _R["002 Q1(b)"]["dL_dW"][0][1],
         "arithmetic slip in one factor"),
        ("W_new[1][1]", 0.02, _R["002 Q1(b)"]["W_new"][1][1], "sign flipped"),
    ],
    "002 Q2(a)": [],
    "002 Q2(b)": [],
    "002 Q2 regression": [],
    "002 Q2(c)": [],
    "003 Q1": [
        ("h1", 0.6513, _R["003 Q1"]["h1"], "truncation instead of rounding"),
        ("L", 0.1963, _R["003 Q1"]["L"], _DRIFT),
        ("dL_dw31_2", 0.2285, _R["003 Q1"]["dL_dw31_2"], _DRIFT),
        ("dL_dw21_1", 0.0056, _R["003 Q1"]["dL_dw21_1"],
         "truncation instead of rounding"),
    ],
    "003 Q2": [],
    "004 Ex 7.1": [
        ("W1x[0]", 0.17, _R["004 Ex 7.1"]["W1x"][0],
         "arithmetic slip in one factor"),
        ("z1[0]", 0.27, _R["004 Ex 7.1"]["z1"][0],
         "other: propagated from W1x[0] = 0.17"),
        ("h[0]", 0.27, _R["004 Ex 7.1"]["h"][0],
         "other: propagated from W1x[0] = 0.17"),
        ("W2h[0]", 0.33, _R["004 Ex 7.1"]["W2h"][0],
         "other: propagated from h[0] = 0.27"),
        ("W2h[1]", 0.48, _R["004 Ex 7.1"]["W2h"][1],
         "other: propagated from h[0] = 0.27"),
        ("z2[0]", 0.43, _R["004 Ex 7.1"]["z2"][0],
         "other: propagated from h[0] = 0.27"),
        ("z2[1]", 0.68, _R["004 Ex 7.1"]["z2"][1],
         "other: propagated from h[0] = 0.27"),
        ("L", 0.3451, _R["004 Ex 7.1"]["L"], "log base 10"),
        ("dL_dy[0]", -0.83, _R["004 Ex 7.1"]["dL_dy"][0], _DRIFT),
        ("dL_dW2[0][0]", 0.053, _R["004 Ex 7.1"]["dL_dW2"][0][0],
         "sign flipped"),
        ("dL_db2[0]", 0.19, _R["004 Ex 7.1"]["dL_db2"][0], "sign flipped"),
        ("dL_dW1[0][0]", -0.06, _R["004 Ex 7.1"]["dL_dW1"][0][0],
         "missing path in sum"),
        ("dL_db1[1]", -0.03, _R["004 Ex 7.1"]["dL_db1"][1],
         "missing path in sum"),
    ],
    "004 Ex 7.3": [],
}

SHEET_CHECKS = {
    "000 ECE421 Q1": {
        "x3": (math.tanh(-0.80), 2, "round"),
        "delta2": ((1 - 0.90 ** 2) * 2 * -1.855, 3, "round"),
        "W2_delta2[0]": (0.2 * -0.705, 3, "round"),
        "W2_delta2[1]": (1 * -0.705, 3, "round"),
        "W2_delta2[2]": (-3 * -0.705, 3, "round"),
        "theta_prime_s1[0]": (1 - 0.60 ** 2, 2, "round"),
        "theta_prime_s1[1]": (1 - 0.76 ** 2, 4, "round"),
        "delta1[0]": ((1 - 0.60 ** 2) * 1 * -0.705, 4, "round"),
        "dE_dW1[0][0]": (1 * -0.4512, 2, "round"),
        "dE_dW1[0][1]": (1 * (1 - 0.76 ** 2) * (-3 * -0.705), 2, "round"),
        "dE_dW1[1][0]": (2 * -0.4512, 2, "round"),
        "dE_dW1[1][1]": (2 * 0.89, 2, "round"),
        "dE_dW2[0]": (1 * -0.705, 3, "round"),
        "dE_dW2[1]": (0.60 * -0.705, 3, "round"),
        "dE_dW2[2]": (0.76 * -0.705, 3, "truncate"),
        "dE_dW3[1]": (-0.90 * -1.855, 4, "round"),
    },
    "000 ECE421 Q2(e)": {
        "yhat": (relu(1.0) + relu(1.0), 0, "round"),
        "e": ((2.0 - 1.0) ** 2, 0, "round"),
        "de_dv": (2 * (2.0 - 1.0) * (0.0 + 2 * 1.0 * relu(1.0)), 0, "round"),
        "de_dw": (2 * (2.0 - 1.0) * (1.0 + 1.0), 0, "round"),
    },
    "002 Q1(b)": {
        "W_new[1][1]": (abs(0.4 - 0.1 * 4.2), 2, "round"),
    },
    "003 Q1": {
        "h1": (sigmoid(0.25 * 0.1 + 0.6), 4, "truncate"),
        "L": (0.5 * (0.31 - 0.6671) ** 2 + 0.5 * (0.27 - 0.7849) ** 2, 4,
              "round"),
        "dL_dw31_2": ((0.6671 - 0.31) * 0.64, 4, "round"),
        "dL_dw21_1": ((0.6671 - 0.31) * 0.7 * 0.02271, 4, "truncate"),
    },
    "004 Ex 7.1": {
        "z1[0]": (0.17 + 0.1, 2, "round"),
        "h[0]": (relu(0.17 + 0.1), 2, "round"),
        "W2h[0]": (0.7 * 0.27 + 0.2 * 0.4 + 0.1 * 0.57, 2, "round"),
        "W2h[1]": (0.5 * 0.27 + 0.3 * 0.4 + 0.4 * 0.57, 2, "round"),
        "z2[0]": (0.33 + 0.1, 2, "round"),
        "z2[1]": (0.48 + 0.2, 2, "round"),
        "L": (-0.5 * (math.log10(0.60) + math.log10(1 - 0.66)), 4, "truncate"),
        "dL_dy[0]": (-0.5 * (1 / 0.60), 2, "round"),
        "dL_dW2[0][0]": (-(-0.83 * 0.24 * 0.27), 3, "truncate"),
        "dL_db2[0]": (-(-0.83 * 0.24 * 1), 2, "truncate"),
        "dL_dW1[0][0]": (-0.83 * 0.24 * 0.7 * 1 * 0.5, 2, "truncate"),
        "dL_db1[1]": (-0.83 * 0.24 * 0.2 * 1 * 1, 2, "truncate"),
    },
}

SHEET_CONFIRMED = {
    "000 ECE421 Q1": [
        ("s1[0]", 0.7, 1), ("s1[1]", 1.0, 1), ("x1[1]", 0.60, 2),
        ("x1[2]", 0.76, 2), ("s2", -1.48, 2), ("x2[1]", -0.90, 2),
        ("s3", -0.80, 2), ("delta3", -1.855, 3), ("W3_delta3[1]", -3.71, 2),
        ("dE_dW3[0]", -1.855, 3),
    ],
    "001 Q1": [
        ("z1[0]", 0.3, 1), ("h1[0]", 0.2913, 4), ("z2[0]", 0.2165, 4),
        ("loss", 0.376, 3),
    ],
    "002 Q1(b)": [
        ("Yhat[0][0]", 1.5, 1), ("Yhat[0][1]", 1.1, 1), ("Yhat[1][0]", 1.2, 1),
        ("Yhat[1][1]", 0.0, 1), ("Y_minus_Yhat[0][0]", -1.0, 1),
        ("Y_minus_Yhat[0][1]", -0.1, 1), ("Y_minus_Yhat[1][0]", -0.2, 1),
        ("Y_minus_Yhat[1][1]", -1.5, 1), ("dL_dW[0][0]", 0.4, 1),
        ("dL_dW[1][0]", 6.0, 1), ("dL_dW[1][1]", 4.2, 1),
        ("W_new[0][0]", 0.26, 2), ("W_new[0][1]", -0.12, 2),
        ("W_new[1][0]", -0.8, 2),
    ],
    "002 Q2(a)": [("sigma_prime_max", 0.25, 2)],
    "002 Q2(b)": [
        ("s1", 0.5393, 4), ("s2", 0.4852, 4), ("s3", 0.5935, 4),
        ("dL_dyhat", -1.6849, 4), ("dL_dw3", -0.1972, 4),
        ("dL_dw2", -0.0427, 4), ("dL_dw1", 0.00136, 5),
    ],
    "002 Q2 regression": [
        ("yhat", 0.3784, 4), ("dL_dyhat", -1.2431, 4), ("dL_dw3", -0.6031, 4),
        ("dL_dw2", -0.1306, 4), ("dL_dw1", 0.00417, 5),
    ],
    "002 Q2(c)": [
        ("yhat", 0.3784, 4), ("dL_dyhat", -255.2431, 4),
        ("dL_dw3", -123.8373, 4), ("dL_dw2", -26.8184, 4),
        ("dL_dw1", 0.8562, 4),
    ],
    "003 Q1": [
        ("a1", 0.625, 3), ("a2", 0.7025, 4), ("a3", 0.64, 2),
        ("a4", 0.605, 3), ("h2", 0.6687, 4), ("h3", 0.64, 2),
        ("h4", 0.605, 3), ("yhat1", 0.6671, 4), ("yhat2", 0.7849, 4),
        ("w31_2_new", 0.2157, 4), ("w21_1_new", 0.2472, 4),
    ],
    "004 Ex 7.1": [
        ("W1x[1]", 0.2, 2), ("W1x[2]", 0.27, 2), ("z1[1]", 0.4, 2),
        ("z1[2]", 0.57, 2), ("h[1]", 0.4, 2), ("h[2]", 0.57, 2),
        ("y[0]", 0.60, 2), ("y[1]", 0.66, 2), ("dy_dz2[0]", 0.24, 2),
    ],
}

SHEET_NOTES = {
    "000 ECE421 Q1": [
        "delta3 = -1.855 is right, but it was not computed from the printed "
        "x3 = -0.66 (that would give -1.874).",
        "delta1[1]: the sheet's own factors give 0.4224 * 2.115 = 0.893376, "
        "not 0.89676; dE_dW1[0][1] = 0.89 and dE_dW1[1][1] = 1.78 = 2 * 0.89 "
        "follow from the rounded 0.89.",
        "dE_dW2[2]: 0.76 * -0.705 = -0.5358 with the last digit truncated.",
        "The printed identity sinh x = (e^{2x}-1)/(e^{2x}+1) is wrong "
        "(that is tanh x).",
    ],
    "000 ECE421 Q2(e)": [
        "With w = v = 1 and x^(0) = (1, 1, 1): x^(1) = (1, 1, 1), "
        "x^(2)_2 = 2, yhat = 3, e = 4.",
        "de_dw: the bracket has three branches (1 + 1 + 1 = 3); the sheet "
        "summed only two and also used yhat - y = 1.",
        "Part (d) writes de/dx_3^(0) = (2 gamma) theta' w; it should be "
        "2 Delta theta'(w x_3^(0)) w with Delta = yhat - y.",
    ],
    "001 Q1": [
        "The symbolic back-prop section labels the output layer z^(2), "
        "w^(2) instead of z^(3), W^(3) (layer index off by one); no numeric "
        "gradients or updates are given on the sheet.",
    ],
    "001 Q2": [
        "z^(3) has three equal entries, so yhat = (1/3, 1/3, 1/3), "
        "L = ln 3 and dL/dh^(2) = W^(3)T (yhat - y) = 0: every gradient "
        "below the output layer is exactly 0.  No numbers on the sheet.",
    ],
    "002 Q1(b)": [
        "The update is written W = W + lambda dL/dW (gradient ascent) but "
        "three of the four numbers follow W - 0.1 dL/dW; W_new[0][1] = "
        "-0.12 uses 6.2, not the sheet's 6.1.",
        "L here is the sum over both samples; it is not averaged.",
    ],
    "002 Q2(a)": [
        "The sheet calls sigma'(0) = 1/4 the minimum; it is the maximum "
        "(sigma' -> 0 as |s| -> infinity, never attained).",
    ],
    "002 Q2(b)": [
        "The dL/dw1 formula ends with '* w1' but the number 0.00136 "
        "is the correct one, i.e. it was multiplied by x = 0.63; "
        "with w1 it would be about 0.00054.  The same holds for the "
        "regression (0.00417) and (c) (0.8562).",
    ],
    "003 Q1": [
        "Every printed product is written weight * input.  h1 "
        "(0.25*0.1) and h4 (0.05*0.1) share the factor 0.1, so x2 = 0.1, "
        "w21_1 = 0.25, w24_1 = 0.05, B = 0.6.",
        "h3 = relu(0.1*0.1 + 0.6*0.05 + 0.6): w23_1 = 0.1 (times x2 = 0.1) "
        "and, with the same weight-first order, w33_1 = 0.6, x3 = 0.05. "
        "Swapping them (w33_1 = 0.05, x3 = 0.6) leaves the forward pass "
        "unchanged but changes dL/dw33_1.",
        "h2 = sigmoid(0.55*0.15 + 0.6) = sigmoid(0.7025) omits w22_1 x2: "
        "0.7025 - 0.6 - 0.0825 = 0.02 = w22_1 * 0.1, so w22_1 = 0.2, "
        "w12_1 = 0.55, x1 = 0.15.  Other readings: x1 = 0.55 with "
        "w12_1 = 0.15 (changes dL/dw12_1 only), or 0.7025 being a slip for "
        "0.6825 with no w22_1 term (then h2 = sigmoid(0.6825)).",
        "The sheet writes dL/dw21_1 as dyhat2/dyhat1 * dyhat1/dh1 * dh1/dw; "
        "the first factor should be dL/dyhat1 (its number 0.3571 is).",
        "w31_2_new = 0.2157 and w21_1_new = 0.2472 are right to 4 places.",
    ],
    "003 Q2": [
        "Symbolic only, no numbers given.  The sheet's df/dx1 multiplies the "
        "sigmoid path by dh2/dx2 (= 0); it should be dh2/dx1 = 1, so "
        "df/dx1 = (1 - tanh^2(x1/x2))/x2 + sigmoid(x1)(1 - sigmoid(x1)).",
    ],
    "004 Ex 7.1": [
        "W1x[0] = 0.1*0.5 + 0.4*0.2 = 0.13; the sheet's 0.17 = 0.05 + 0.12, "
        "0.12 being 0.6*0.2 (W1[2][1] read for W1[0][1]).",
        "y = (0.60, 0.66) matches the correct y to 2 places although the "
        "sheet's own z2 = 0.43 would give 0.61.",
        "L = 0.3451 is -1/2 (log10 0.60 + log10 0.34) = 0.34518 truncated.",
        "dL/dw2(1,1), dL/db2(1), dL/dw1(1,1), dL/db1(2) also reuse the wrong "
        "h[0] = 0.27 and dL/dy1 = -0.83 and are truncated, not rounded.",
        "dL/dw1(1,1) and dL/db1(2) must sum over both outputs: dL/dh_j = "
        "w2(1,j) dL/dz2(1) + w2(2,j) dL/dz2(2); the sheet kept only the "
        "output-1 path, which also flips the sign.",
        "The sheet labels w2(1,2) = 0.2 as 'w_{2,1}' and writes w3(1,3) for "
        "w2(1,3) in z2(1).",
    ],
    "004 Ex 7.3": [
        "All three symbolic answers on the sheet are correct (F2 is printed "
        "as (x0*x, x0*x1, ...), meaning x0*x0 first).",
    ],
}


def _as_sheet(value, ndigits, mode):
    """Round or truncate a value to the sheet's number of decimals."""
    scale = 10.0 ** ndigits
    if mode == "round":
        return round(value, ndigits)
    return math.copysign(math.floor(abs(value) * scale + 1e-9) / scale, value)


def _shift(obj, path, delta):
    """Copy of a nested tuple/list/float with the element at path shifted."""
    if not path:
        return obj + delta
    items = list(obj)
    items[path[0]] = _shift(items[path[0]], path[1:], delta)
    return tuple(items)


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _indices(obj, prefix=()):
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _indices(item, prefix + (i,))
    else:
        yield prefix


def central_difference(fn, param, path, loss_key, h=1e-6):
    """(L(p + h) - L(p - h)) / 2h for one given of a problem function."""
    base = inspect.signature(fn).parameters[param].default
    up = fn(**{param: _shift(base, path, h)})[loss_key]
    down = fn(**{param: _shift(base, path, -h)})[loss_key]
    return (up - down) / (2.0 * h)


FD_CHECKS = [
    ("000 ECE421 Q1", "e", [("W1", "dE_dW1"), ("W2", "dE_dW2"),
                            ("W3", "dE_dW3")]),
    ("000 ECE421 Q2(e)", "e", [("v", "de_dv"), ("w", "de_dw"),
                               ("x0", "de_dx0")]),
    ("001 Q1", "loss", [("W1", "dL_dW1"), ("b1", "dL_db1"), ("W2", "dL_dW2"),
                        ("b2", "dL_db2"), ("W3", "dL_dW3"), ("b3", "dL_db3")]),
    ("001 Q2", "loss", [("W1", "dL_dW1"), ("b1", "dL_db1"), ("W2", "dL_dW2"),
                        ("b2", "dL_db2"), ("W3", "dL_dW3"), ("b3", "dL_db3")]),
    ("002 Q1(b)", "L", [("W", "dL_dW")]),
    ("002 Q2(b)", "L", [("w1", "dL_dw1"), ("w2", "dL_dw2"),
                        ("w3", "dL_dw3")]),
    ("002 Q2 regression", "L", [("w1", "dL_dw1"), ("w2", "dL_dw2"),
                                ("w3", "dL_dw3")]),
    ("002 Q2(c)", "L", [("w1", "dL_dw1"), ("w2", "dL_dw2"),
                        ("w3", "dL_dw3")]),
    ("003 Q1", "L", [(p, "dL_d" + p) for p in (
        "w11_2", "w31_2", "w22_2", "w42_2", "w21_1", "w12_1", "w22_1",
        "w23_1", "w33_1", "w24_1", "B")]),
    ("004 Ex 7.1", "L", [("W1", "dL_dW1"), ("b1", "dL_db1"),
                         ("W2", "dL_dW2"), ("b2", "dL_db2")]),
    ("004 Ex 7.3", "L_F1", [("x", "dL_dx_F1")]),
    ("004 Ex 7.3", "L_F2", [("x", "dL_dx_F2")]),
    ("004 Ex 7.3", "L_F3", [("x", "dL_dx_F3")]),
]


def run_finite_difference_checks(tol=1e-6):
    """Compare every analytic gradient with a central difference."""
    worst = 0.0
    for problem, loss_key, pairs in FD_CHECKS:
        fn = PROBLEMS[problem]
        result = _R[problem]
        for param, grad_key in pairs:
            for path in _indices(result[grad_key]):
                analytic = _get(result[grad_key], path)
                numeric = central_difference(fn, param, path, loss_key)
                err = abs(analytic - numeric) / max(1.0, abs(analytic))
                worst = max(worst, err)
                assert err < tol, (problem, grad_key, path, analytic, numeric)
    return worst


def run_sheet_checks():
    """Reproduce each wrong sheet value from the sheet's own intermediates."""
    for problem, checks in SHEET_CHECKS.items():
        sheet = {q: v for q, v, _, _ in SHEET_ERRORS[problem]}
        for quantity, (value, ndigits, mode) in checks.items():
            shown = _as_sheet(value, ndigits, mode)
            assert abs(shown - sheet[quantity]) < 1e-12, (
                problem, quantity, value, shown, sheet[quantity])
            print(f"  {problem:18s} {quantity:18s} {value:+.6f} -> "
                  f"{mode} {ndigits} dp = {shown:+g} (sheet {sheet[quantity]:+g})")


def _lookup(problem, quantity):
    """Value of a quantity such as 'dL_dW[0][1]' in a problem's result."""
    match = re.match(r"(\w+)((?:\[\d+\])*)", quantity)
    path = [int(i) for i in re.findall(r"\d+", match.group(2))]
    return _get(_R[problem][match.group(1)], path)


def run_confirmed_checks():
    """Sheet values judged correct must equal the rounded reference value."""
    for problem, entries in SHEET_CONFIRMED.items():
        for quantity, sheet_value, ndigits in entries:
            shown = round(_lookup(problem, quantity), ndigits)
            assert abs(shown - sheet_value) < 1e-12, (
                problem, quantity, shown, sheet_value)
    for problem, errors in SHEET_ERRORS.items():
        for quantity, _, correct, _ in errors:
            assert correct == _lookup(problem, quantity), (problem, quantity)


def _format(value):
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return repr(value)


if __name__ == "__main__":
    for name, result in _R.items():
        print(f"=== {name}: {PROBLEMS[name].__doc__.splitlines()[0]}")
        for key, value in result.items():
            print(f"  {key} = {_format(value)}")
    print("=== 003 Q2: symbolic only, no numbers given")
    print("=== 004 Ex 7.3 symbolic")
    for text in P004_EX73_SYMBOLIC.values():
        print(f"  {text}")

    print("\n=== Sheet errors (quantity, sheet, correct, reason)")
    for problem, errors in SHEET_ERRORS.items():
        print(f"{problem}:" + ("" if errors else " none"))
        for quantity, sheet_value, correct, reason in errors:
            print(f"  {quantity}: sheet {sheet_value!r}, correct {correct!r} "
                  f"-- {reason}")

    print("\n=== Sheet values reproduced from the sheet's intermediates")
    run_sheet_checks()

    run_confirmed_checks()
    print("\nAll sheet values listed in SHEET_CONFIRMED match the reference.")

    worst = run_finite_difference_checks()
    print(f"\nAll finite-difference checks passed "
          f"(worst relative error {worst:.2e}).")
